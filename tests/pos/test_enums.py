"""The code's names for statuses and kinds are the words the database accepts: a
member the CHECK constraint refuses would fail only when a till first uses it."""

from __future__ import annotations

from core.enums import (
    EventType,
    PaymentMethod,
    PrintJobKind,
    PrintJobState,
    SaleKind,
    SaleStatus,
)
from pos.counter_models import PAYMENT_METHODS, SALE_KINDS, SALE_STATUSES
from receipts.models import JOB_KINDS, JOB_STATES
from sync.models import EVENT_TYPES


def test_each_enum_is_exactly_the_set_its_table_accepts():
    assert set(EventType) == set(EVENT_TYPES)
    assert set(PrintJobKind) == set(JOB_KINDS)
    assert set(PrintJobState) == set(JOB_STATES)
    assert set(PaymentMethod) == set(PAYMENT_METHODS)
    assert set(SaleKind) == set(SALE_KINDS) and set(SaleStatus) == set(SALE_STATUSES)


def test_a_member_is_its_word_in_json_and_comparisons():
    import json

    assert SaleStatus.VOIDED == "voided"
    assert json.dumps({"status": SaleStatus.VOIDED}) == '{"status": "voided"}'
