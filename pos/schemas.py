"""The till's JSON request bodies, declared once: they parse the input (``core.input``)
and are the request bodies of the OpenAPI document.

Types are strict (``"2"`` is no quantity, ``1.5`` no amount of đồng, ``true`` no
number); bounds are the counter's own (``MAX_QTY``, ``MAX_AMOUNT``); strings have a
length limit. Rules that need the database (a known product, a manager's password, the
total paid) stay with the counter's services.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, Discriminator, Field, StrictInt, StrictStr, Tag

from core.errors import N_
from pos.counter.common import MAX_AMOUNT, MAX_QTY

MAX_TEXT = 500

Money = Annotated[StrictInt, Field(ge=0, le=MAX_AMOUNT)]
PositiveMoney = Annotated[StrictInt, Field(ge=1, le=MAX_AMOUNT)]
Qty = Annotated[StrictInt, Field(ge=1, le=MAX_QTY)]
ClientId = Annotated[StrictStr, Field(max_length=36, description="UUID chosen by the till")]
Text = Annotated[StrictStr, Field(max_length=MAX_TEXT)]


class _Body(BaseModel):
    """Unknown fields are ignored, as the contract says; a refusal says whether the field
    was missing (``required``), of the wrong type (``invalid_type``) or out of bounds."""

    typed_errors: ClassVar[bool] = True


class ApprovalLogin(_Body):
    username: Annotated[StrictStr, Field(max_length=64)]
    password: Annotated[StrictStr, Field(max_length=200)]


def _approval_kind(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return "token"
    if isinstance(value, dict):
        return "login"
    return None


APPROVAL_MESSAGE = N_("approved_by phải là mã truy cập của quản lý hoặc "
                      "{username, password}.")

# ``approved_by``: a manager's API token, or their username and password.
ApprovedBy = Annotated[
    Annotated[StrictStr, Tag("token")] | Annotated[ApprovalLogin, Tag("login")],
    Discriminator(_approval_kind, custom_error_type="ocop_invalid_type",
                  custom_error_message=APPROVAL_MESSAGE),
]


class SaleLineIn(_Body):
    """A scanned ``barcode`` (which wins) or a ``product_id``."""

    barcode: Annotated[StrictStr, Field(max_length=100)] | None = None
    product_id: StrictInt | None = None
    qty: Qty
    unit_price: Money | None = None
    discount: Money | None = None
    discount_percent: Annotated[StrictInt, Field(ge=0, le=100)] | None = None


class PaymentIn(_Body):
    method: Annotated[StrictStr, Field(max_length=20,
                                       examples=["cash", "card", "transfer"])]
    amount: PositiveMoney
    tendered: Money | None = None
    reference: Annotated[StrictStr, Field(max_length=100)] | None = None


class SaleIn(_Body):
    id: ClientId | None = None
    lines: list[SaleLineIn]
    payments: list[PaymentIn] | None = None
    discount: Money | None = None
    discount_percent: Annotated[StrictInt, Field(ge=0, le=100)] | None = None
    approved_by: ApprovedBy | None = None
    reason: Text | None = None


class RefundLineIn(_Body):
    product_id: StrictInt
    qty: Qty


class RefundIn(_Body):
    id: ClientId | None = None
    lines: list[RefundLineIn]
    reason: Text
    method: Annotated[StrictStr, Field(max_length=20)] | None = None


class VoidIn(_Body):
    reason: Text


class OpenShiftIn(_Body):
    opening_float: Money


class CashMovementIn(_Body):
    kind: Annotated[StrictStr, Field(max_length=3, examples=["in", "out"])]
    amount: PositiveMoney
    reason: Text


class CloseShiftIn(_Body):
    """The blind count: ``counted`` by denomination, or ``counted_cash`` in all."""

    counted: dict[StrictStr, Annotated[StrictInt, Field(ge=0, le=100_000)]] | None = Field(
        default=None, description="number of notes by denomination, e.g. {\"500000\": 2}")
    counted_cash: Money | None = None
    note: Text | None = None
    approved_by: ApprovedBy | None = None


class ReprintIn(_Body):
    reason: Annotated[StrictStr, Field(max_length=300)] = ""
