"""Receipt and Z-report documents built from plain values.

The renderers (text, ESC/POS, PNG, PDF) only ever see these frozen objects, so they can
be tested and benchmarked without a database, and a reprint shows exactly what the
first print showed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta, timezone
from typing import Literal, NamedTuple

from core.enums import PaymentMethod
from core.money import vat_contained

# Vietnam has kept UTC+7 without daylight saving since 1975; a fixed offset avoids
# depending on the tzdata package on Windows booth PCs.
VIETNAM_TZ = timezone(timedelta(hours=7), "ICT")

DEFAULT_FOOTER = "Cảm ơn quý khách! Hẹn gặp lại."

PAYMENT_METHOD_LABELS = {
    "cash": "Tiền mặt",
    "transfer": "Chuyển khoản",
    "card": "Thẻ",
}

ReceiptKind = Literal["sale", "refund", "void"]


def local_time(moment: datetime) -> datetime:
    """Return an aware datetime in Vietnamese local time (what the customer reads)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("thời điểm phải có múi giờ (aware datetime)")
    return moment.astimezone(VIETNAM_TZ)


def format_local(moment: datetime) -> str:
    """Format a moment as Vietnamese local ``dd/mm/yyyy HH:MM``."""
    return local_time(moment).strftime("%d/%m/%Y %H:%M")


def _nfc_fields(obj: object) -> None:
    """Normalise every ``str`` field to NFC: layout widths and encoders assume it."""
    for f in fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        if isinstance(value, str):
            object.__setattr__(obj, f.name, unicodedata.normalize("NFC", value))


def _require_int(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} phải là số nguyên đồng, nhận được {value!r}")


@dataclass(frozen=True, kw_only=True)
class ReceiptLine:
    """One sold product. ``amount`` is what the customer pays for the line.

    Precondition: ``amount == qty * unit_price - discount`` (checked), so a receipt can
    never show numbers that do not add up.
    """

    name: str
    qty: int
    unit_price: int
    amount: int
    discount: int = 0
    vat_rate: int = 0
    producer: str = ""
    commune: str = ""
    district: str = ""
    stars: int = 0

    def __post_init__(self) -> None:
        _nfc_fields(self)
        for name in ("qty", "unit_price", "amount", "discount", "vat_rate", "stars"):
            _require_int(name, getattr(self, name))
        if self.qty <= 0:
            raise ValueError(f"số lượng phải dương: {self.name} × {self.qty}")
        if not 0 <= self.stars <= 5:
            raise ValueError(f"hạng sao OCOP phải từ 0 đến 5: {self.stars}")
        expected = self.qty * self.unit_price - self.discount
        if self.amount != expected:
            raise ValueError(
                f"thành tiền của “{self.name}” là {self.amount}, "
                f"nhưng {self.qty} × {self.unit_price} − {self.discount} = {expected}"
            )

    @property
    def gross(self) -> int:
        """Amount before the line discount."""
        return self.qty * self.unit_price

    @property
    def origin(self) -> str:
        """Producer and place, the way an OCOP label names them."""
        return ", ".join(part for part in (self.producer, self.commune, self.district) if part)


@dataclass(frozen=True, kw_only=True)
class ReceiptPayment:
    """One tender.

    ``tendered`` is the cash handed over (cash only); ``reference`` a bank or card
    transaction id.
    """

    method: PaymentMethod
    amount: int
    tendered: int | None = None
    reference: str = ""

    def __post_init__(self) -> None:
        _nfc_fields(self)
        if self.method not in PAYMENT_METHOD_LABELS:
            raise ValueError(f"hình thức thanh toán không hợp lệ: {self.method!r}")
        _require_int("amount", self.amount)
        if self.tendered is not None:
            _require_int("tendered", self.tendered)

    @property
    def label(self) -> str:
        """The Vietnamese name of the method."""
        return PAYMENT_METHOD_LABELS[self.method]


def vat_by_rate_from_lines(lines: Iterable[ReceiptLine]) -> dict[int, int]:
    """VAT contained in the lines, per rate.

    The tax is taken once from the sum per rate, not per line and added up, so
    rounding happens once per rate, as on the tax authority's own invoices.
    """
    gross_by_rate: dict[int, int] = {}
    for line in lines:
        gross_by_rate[line.vat_rate] = gross_by_rate.get(line.vat_rate, 0) + line.amount
    return {rate: vat_contained(gross, rate) for rate, gross in sorted(gross_by_rate.items())}


@dataclass(frozen=True, kw_only=True)
class ReceiptDocument:
    """Everything printed on one receipt, already decided: the renderers only lay it out.

    ``qr_payload`` is a VietQR string for a transfer still to be paid, or otherwise a
    code the customer can use to look the receipt up. ``issued_at`` must be aware; it
    is shown in Vietnamese local time.
    """

    kind: ReceiptKind
    shop_name: str
    booth_code: str
    booth_name: str
    venue_name: str
    address: str
    tax_code: str
    number: str
    issued_at: datetime
    cashier: str
    lines: tuple[ReceiptLine, ...]
    total: int
    vat_by_rate: Mapping[int, int]
    payments: tuple[ReceiptPayment, ...]
    change: int = 0
    footer: str = DEFAULT_FOOTER
    qr_payload: str | None = None

    def __post_init__(self) -> None:
        _nfc_fields(self)
        if self.kind not in ("sale", "refund", "void"):
            raise ValueError(f"loại hóa đơn không hợp lệ: {self.kind!r}")
        local_time(self.issued_at)
        _require_int("total", self.total)
        _require_int("change", self.change)
        object.__setattr__(self, "lines", tuple(self.lines))
        object.__setattr__(self, "payments", tuple(self.payments))
        object.__setattr__(self, "vat_by_rate", dict(sorted(self.vat_by_rate.items())))
        for rate, amount in self.vat_by_rate.items():
            _require_int(f"vat_by_rate[{rate}]", amount)

    @property
    def opens_drawer(self) -> bool:
        """Cash changed hands, so the printer should kick the cash drawer."""
        return any(payment.method == PaymentMethod.CASH for payment in self.payments)

    @property
    def qr_is_payment(self) -> bool:
        """True when the QR is a NAPAS VietQR transfer request rather than a lookup code."""
        payload = self.qr_payload or ""
        return payload.startswith("000201") and "A000000727" in payload


class Tally(NamedTuple):
    """How many times something happened in a shift, and for how much."""

    count: int
    amount: int


@dataclass(frozen=True, kw_only=True)
class ZReportDocument:
    """The end-of-shift report the cashier signs; rendered by the receipt renderers.

    ``denominations`` maps a note's value in đồng to how many were counted.
    Precondition: ``difference == counted_cash - expected_cash`` (checked).
    """

    shop_name: str
    booth_code: str
    booth_name: str
    cashier: str
    opened_at: datetime
    closed_at: datetime
    totals_by_method: Mapping[str, int]
    vat_by_rate: Mapping[int, int]
    discounts: Tally
    refunds: Tally
    voids: Tally
    opening_float: int
    cash_in: int
    cash_out: int
    expected_cash: int | None
    counted_cash: int | None
    difference: int | None
    denominations: Mapping[int, int] = field(default_factory=dict)
    # False: the X-report of a shift still open (no count yet, never headed "(Z)");
    # its ``expected_cash`` is None when shown to the cashier, who counts blind.
    closed: bool = True

    def __post_init__(self) -> None:
        _nfc_fields(self)
        local_time(self.opened_at)
        local_time(self.closed_at)
        amounts = ["opening_float", "cash_in", "cash_out"]
        if self.closed:
            amounts += ["expected_cash", "counted_cash", "difference"]
        elif self.counted_cash is not None or self.difference is not None:
            raise ValueError("ca chưa đóng thì chưa có tiền đếm được")
        elif self.expected_cash is not None:
            amounts.append("expected_cash")
        for name in amounts:
            _require_int(name, getattr(self, name))
        for name in ("discounts", "refunds", "voids"):
            object.__setattr__(self, name, Tally(*getattr(self, name)))
        object.__setattr__(self, "totals_by_method", dict(self.totals_by_method))
        object.__setattr__(self, "vat_by_rate", dict(sorted(self.vat_by_rate.items())))
        object.__setattr__(
            self, "denominations", dict(sorted(self.denominations.items(), reverse=True))
        )
        if self.closed and self.difference != self.counted_cash - self.expected_cash:
            raise ValueError(
                f"chênh lệch {self.difference} khác tiền đếm {self.counted_cash} "
                f"− tiền dự kiến {self.expected_cash}"
            )

    @property
    def opens_drawer(self) -> bool:
        """A report takes no payment, so it never kicks the drawer."""
        return False
