"""The booth's inventory request bodies (stock adjustments, reorder points, stocktakes,
lots, restock requests), declared once: they parse the input and are the request bodies
of the OpenAPI document.

Adjustments and reorder points are checked here whole. Stocktake counts, scopes and
restock lines are checked by their services, each with its own Vietnamese message and
code (``bad_quantity``, ``not_in_scope``…); here they have their documented shape, and
every integer in them fits a database column.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, StrictInt, StrictStr, WithJsonSchema

from core.input import MAX_DB_INT, DbIntegers
from inventory.adjustments import MAX_ADJUST_QTY
from inventory.restock import MAX_NOTE
from inventory.services import MAX_REORDER_POINT
from inventory.stocktakes import MAX_COUNT


class ReorderPointIn(BaseModel):
    reorder_point: StrictInt | None = Field(ge=0, le=MAX_REORDER_POINT)


class AdjustmentIn(BaseModel):
    id: StrictStr | None = Field(default=None, max_length=64)
    product_id: StrictInt = Field(ge=1, le=2**31 - 1)
    qty: StrictInt = Field(ge=-MAX_ADJUST_QTY, le=MAX_ADJUST_QTY)
    reason: StrictStr = Field(max_length=20)
    note: StrictStr = Field(default="", max_length=300)


_ID = {"type": "integer", "minimum": 1, "maximum": MAX_DB_INT}
_COUNTS = {"type": "array", "items": {
    "type": "object", "required": ["counted"],
    "properties": {"product_id": _ID, "barcode": {"type": "string", "maxLength": 64},
                   "counted": {"type": "integer", "minimum": 0, "maximum": MAX_COUNT}}}}
_REASON = {"type": "string", "maxLength": 300}

Counts = Annotated[Any, WithJsonSchema(_COUNTS)]
Reason = Annotated[Any, WithJsonSchema(_REASON)]


class StartIn(DbIntegers):
    id: StrictStr | None = None
    scope: Annotated[Any, WithJsonSchema({"enum": ["all", "producer", "products"]})] = "all"
    producer_id: Annotated[Any, WithJsonSchema(_ID)] = None
    product_ids: Annotated[Any, WithJsonSchema({"type": "array", "items": _ID})] = None


class CountsIn(DbIntegers):
    counts: Counts = None


class CommitIn(DbIntegers):
    reason: Reason = None


class OneShotIn(DbIntegers):
    id: StrictStr | None = None
    counts: Counts = None
    reason: Reason = None


class WriteOffIn(DbIntegers):
    note: StrictStr = ""


class RestockIn(DbIntegers):
    id: StrictStr | None = None
    lines: Annotated[Any, WithJsonSchema({"type": "array", "items": {
        "type": "object", "required": ["product_id", "qty"],
        "properties": {"product_id": _ID, "qty": {"type": "integer", "minimum": 1}}}})] = None
    note: Annotated[Any, WithJsonSchema({"type": "string", "maxLength": MAX_NOTE})] = ""
