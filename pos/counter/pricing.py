"""Pricing a sale: pure functions of the lines and the products as they were read.

No database here: a line's price, its discount, the sale's discount spread over the
lines and the price changes that need a manager are computed from plain values, so the
booth's write lock is never held while a sale is priced (and the rules are tested
without a database).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from core.errors import DomainError
from pos.counter.common import MAX_AMOUNT, MAX_QTY, LineInput


@dataclass(frozen=True)
class ProductSnapshot:
    """What pricing needs of a product, read once before the write."""

    id: int
    name: str
    price: int
    vat_rate: int
    variable_price: bool = False


@dataclass(frozen=True)
class PricedLine:
    product_id: int
    name: str
    barcode: str
    qty: int
    unit_price: int
    catalog_price: int
    discount: int
    amount: int
    vat_rate: int


@dataclass(frozen=True)
class Adjustment:
    """A price change or line discount, audited with the manager who approved it."""

    line: int
    product_id: int
    before: dict
    after: dict


@dataclass(frozen=True)
class PricedSale:
    lines: tuple[PricedLine, ...]
    adjustments: tuple[Adjustment, ...]
    subtotal: int  # after line discounts, before the sale's discount
    sale_discount: int
    total: int

    @property
    def discount_total(self) -> int:
        return sum(line.discount for line in self.lines)

    @property
    def needs_approval(self) -> bool:
        return bool(self.adjustments or self.sale_discount)


def percent_of(amount: int, percent: int) -> int:
    """``amount * percent / 100`` rounded half up to the đồng."""
    return (2 * amount * percent + 100) // 200


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` over ``weights`` proportionally; shares add up exactly (largest
    remainder)."""
    whole = sum(weights)
    if whole == 0:
        return [0] * len(weights)
    shares = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def label_price_accepted(product, price: int, *, tolerance_percent: int) -> bool:
    """Whether a price-embedded label may set the price without a manager: the product
    is sold by weight or at a variable price, and the label is within
    ``tolerance_percent`` of the catalogue price (never 0)."""
    return bool(product.variable_price and price > 0
                and abs(price - product.price) * 100 <= product.price * tolerance_percent)


def check_quantities(lines: list[LineInput]) -> None:
    for i, line in enumerate(lines):
        if not 1 <= line.qty <= MAX_QTY:
            raise DomainError(_("Số lượng phải từ 1 đến %(max)d.", max=MAX_QTY),
                              field=f"lines[{i}].qty")


def _one_discount(discount: int | None, percent: int | None, field: str) -> None:
    if discount is not None and percent is not None:
        raise DomainError(_("Chỉ dùng một trong discount hoặc discount_percent."),
                          field=field)


def _check_percent(percent: int, field: str) -> None:
    if not 0 <= percent <= 100:
        raise DomainError(_("Phần trăm giảm giá phải từ 0 đến 100."), field=field)


def price_line(index: int, line: LineInput, product: ProductSnapshot,
               embedded_price: int | None, code: str, *, tolerance_percent: int
               ) -> tuple[PricedLine, Adjustment | None]:
    """One line's price and discount; the adjustment when it strays from the catalogue
    (or from a label the catalogue accepts)."""
    # A label's price stands on its own only for a variable-price product and near the
    # catalogue price; otherwise it is a price change like any other.
    label_ok = embedded_price is not None and label_price_accepted(
        product, embedded_price, tolerance_percent=tolerance_percent)
    base_price = embedded_price if label_ok else product.price
    unit_price = embedded_price if embedded_price is not None else base_price
    if line.unit_price is not None:
        if not 0 <= line.unit_price <= MAX_AMOUNT:
            raise DomainError(_("Đơn giá phải là số nguyên không âm."),
                              field=f"lines[{index}].unit_price")
        unit_price = line.unit_price
    gross = line.qty * unit_price
    _one_discount(line.discount, line.discount_percent, f"lines[{index}].discount")
    discount = 0
    if line.discount is not None:
        discount = line.discount
    elif line.discount_percent is not None:
        _check_percent(line.discount_percent, f"lines[{index}].discount_percent")
        discount = percent_of(gross, line.discount_percent)
    if not 0 <= discount <= gross:
        raise DomainError(_("Giảm giá không được âm hay lớn hơn tiền hàng."),
                          field=f"lines[{index}].discount", code="discount_too_large")
    adjustment = None
    if unit_price != base_price or discount:
        adjustment = Adjustment(line=index, product_id=product.id,
                                before={"unit_price": base_price, "discount": 0},
                                after={"unit_price": unit_price, "discount": discount})
    priced = PricedLine(product_id=product.id, name=product.name, barcode=code,
                        qty=line.qty, unit_price=unit_price, catalog_price=product.price,
                        discount=discount, amount=gross - discount, vat_rate=product.vat_rate)
    return priced, adjustment


def price_sale(found: list[tuple[LineInput, ProductSnapshot, int | None, str]], *,
               discount: int | None = None, discount_percent: int | None = None,
               tolerance_percent: int) -> PricedSale:
    """Price every line, then spread the sale's discount over them (largest
    remainder), so the lines always add up to the total."""
    lines, adjustments = [], []
    for i, (line, product, embedded_price, code) in enumerate(found):
        priced, adjustment = price_line(i, line, product, embedded_price, code,
                                        tolerance_percent=tolerance_percent)
        lines.append(priced)
        if adjustment is not None:
            adjustments.append(adjustment)
    subtotal = sum(line.amount for line in lines)
    if sum(line.qty * line.unit_price for line in lines) > MAX_AMOUNT:
        raise DomainError(_("Tổng tiền hóa đơn quá lớn."), field="lines", code="too_large")
    _one_discount(discount, discount_percent, "discount")
    sale_discount = 0
    if discount_percent is not None:
        _check_percent(discount_percent, "discount_percent")
        sale_discount = percent_of(subtotal, discount_percent)
    elif discount is not None:
        sale_discount = discount
    if not 0 <= sale_discount <= subtotal:
        raise DomainError(_("Giảm giá không được âm hay lớn hơn tiền hàng."), field="discount",
                          code="discount_too_large")
    shares = allocate(sale_discount, [line.amount for line in lines])
    spread = tuple(
        PricedLine(**(vars(line) | {"discount": line.discount + share,
                                    "amount": line.amount - share}))
        for line, share in zip(lines, shares, strict=True))
    return PricedSale(lines=spread, adjustments=tuple(adjustments), subtotal=subtotal,
                      sale_discount=sale_discount, total=subtotal - sale_discount)
