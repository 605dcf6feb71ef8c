"""Money is an integer number of đồng: VND has no minor unit, so no floats anywhere."""

from __future__ import annotations

VAT_RATES = (0, 5, 8, 10)


def format_vnd(amount: int) -> str:
    """Render đồng the Vietnamese way: ``format_vnd(125000) == "125.000 ₫"``."""
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError("money is an integer number of đồng")
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount):,}".replace(",", ".") + " ₫"


def vat_contained(gross: int, rate: int) -> int:
    """VAT inside a VAT-inclusive amount, rounded half up to the đồng.

    Prices are VAT-inclusive, so the tax is ``gross * rate / (100 + rate)``; integer
    arithmetic keeps the rounding exact and the same on every machine.
    """
    if rate not in VAT_RATES:
        raise ValueError(f"VAT rate must be one of {VAT_RATES}")
    numerator = abs(gross) * rate
    denominator = 100 + rate
    tax = (2 * numerator + denominator) // (2 * denominator)
    return tax if gross >= 0 else -tax
