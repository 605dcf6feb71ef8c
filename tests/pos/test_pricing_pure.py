"""Pricing and settlement as pure functions: no app, no database, only values in and
values out, so the rules a cashier relies on (lines add up to the total, the change is
what the customer gets back, a discount never makes a line negative) hold for any
input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import DomainError
from pos.counter import (
    MAX_AMOUNT,
    LineInput,
    PaymentInput,
    ProductSnapshot,
    ShortPayment,
    allocate,
    percent_of,
    price_sale,
    settle,
)

RICE = ProductSnapshot(id=1, name="Gạo Nàng Hương", price=145_000, vat_rate=5)
SAUCE = ProductSnapshot(id=2, name="Nước mắm Lê Gia", price=95_000, vat_rate=8)
HONEY = ProductSnapshot(id=3, name="Mật ong rừng", price=210_000, vat_rate=10,
                        variable_price=True)


def _sale(*lines, **kwargs):
    return price_sale([(line, product, embedded, code)
                       for line, product, embedded, code in lines],
                      tolerance_percent=kwargs.pop("tolerance", 20), **kwargs)


def test_a_plain_sale_is_the_sum_of_its_lines():
    priced = _sale((LineInput(qty=2, product_id=1), RICE, None, ""),
                   (LineInput(qty=1, product_id=2), SAUCE, None, ""))
    assert priced.total == 2 * 145_000 + 95_000
    assert [line.amount for line in priced.lines] == [290_000, 95_000]
    assert not priced.needs_approval


def test_a_sale_discount_is_spread_over_the_lines_to_the_dong():
    priced = _sale((LineInput(qty=1, product_id=1), RICE, None, ""),
                   (LineInput(qty=1, product_id=2), SAUCE, None, ""), discount=10_001)
    assert priced.total == 240_000 - 10_001
    assert sum(line.amount for line in priced.lines) == priced.total
    assert priced.discount_total == 10_001
    assert priced.needs_approval  # a discount needs a manager


def test_a_label_near_the_catalogue_price_of_a_weighed_product_needs_no_manager():
    priced = _sale((LineInput(qty=1, barcode="label"), HONEY, 220_000, "2100017"))
    assert priced.total == 220_000 and not priced.adjustments
    priced = _sale((LineInput(qty=1, barcode="label"), SAUCE, 100_000, "2100018"))
    assert priced.adjustments  # a fixed-price product: the label is a price change


def test_one_line_cannot_carry_both_kinds_of_discount():
    with pytest.raises(DomainError) as err:
        _sale((LineInput(qty=1, product_id=1, discount=1, discount_percent=1), RICE, None,
               ""))
    assert err.value.field == "lines[0].discount"


def test_a_discount_above_the_goods_is_refused():
    with pytest.raises(DomainError) as err:
        _sale((LineInput(qty=1, product_id=2), SAUCE, None, ""), discount=95_001)
    assert err.value.code == "discount_too_large"


def test_cash_above_the_total_gives_change_and_card_never_does():
    settlement = settle(240_000, [PaymentInput("card", 40_000),
                                  PaymentInput("cash", 250_000, tendered=500_000)])
    assert [(row.method, row.amount) for row in settlement.rows] == [
        ("card", 40_000), ("cash", 200_000)]
    assert settlement.change == 300_000
    with pytest.raises(DomainError) as err:
        settle(100_000, [PaymentInput("card", 100_001)])
    assert err.value.code == "overpaid"


def test_paying_too_little_says_how_much_is_missing():
    with pytest.raises(ShortPayment) as err:
        settle(125_000, [PaymentInput("cash", 100_000)])
    assert "25.000" in err.value.message


amounts = st.integers(min_value=0, max_value=5_000_000)


@given(st.integers(min_value=0, max_value=10_000_000),
       st.lists(st.integers(min_value=0, max_value=10_000_000), min_size=1, max_size=20))
def test_allocated_shares_add_up_and_follow_the_weights(total, weights):
    shares = allocate(total, weights)
    if sum(weights) == 0:
        assert shares == [0] * len(weights)
        return
    assert sum(shares) == total
    for share, weight in zip(shares, weights, strict=True):
        assert abs(share - total * weight / sum(weights)) < 1


@given(amounts, st.integers(min_value=0, max_value=100))
def test_a_percentage_is_rounded_half_up_and_never_exceeds_the_amount(amount, percent):
    value = percent_of(amount, percent)
    assert 0 <= value <= amount
    assert abs(value - amount * percent / 100) <= 0.5


lines = st.lists(st.tuples(st.integers(min_value=1, max_value=20),
                           st.sampled_from([RICE, SAUCE, HONEY]),
                           st.one_of(st.none(), st.integers(min_value=0, max_value=100))),
                 min_size=1, max_size=8)


@given(lines, st.one_of(st.none(), st.integers(min_value=0, max_value=100)))
def test_priced_lines_always_add_up_to_the_total(rows, sale_percent):
    priced = price_sale([(LineInput(qty=qty, product_id=product.id,
                                    discount_percent=percent), product, None, "")
                         for qty, product, percent in rows],
                        discount_percent=sale_percent, tolerance_percent=20)
    assert sum(line.amount for line in priced.lines) == priced.total
    assert all(0 <= line.amount <= line.qty * line.unit_price for line in priced.lines)
    assert priced.discount_total == sum(line.discount for line in priced.lines)
    assert priced.needs_approval == bool(priced.discount_total)


@given(st.integers(min_value=1, max_value=MAX_AMOUNT // 4),
       st.integers(min_value=0, max_value=MAX_AMOUNT // 4),
       st.integers(min_value=0, max_value=1_000_000))
def test_settling_keeps_exactly_the_total_and_returns_the_rest_as_change(total, card,
                                                                         extra_cash):
    card = min(card, total)
    cash_due = total - card
    payments = ([PaymentInput("card", card)] if card else []) + (
        [PaymentInput("cash", cash_due + extra_cash)] if cash_due + extra_cash else [])
    if cash_due == 0 and extra_cash:
        with pytest.raises(DomainError):  # cash nobody needed is refused, not kept
            settle(total, payments)
        return
    settlement = settle(total, payments)
    assert sum(row.amount for row in settlement.rows) == total
    assert settlement.change == extra_cash
