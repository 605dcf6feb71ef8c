"""The closed sets of words the code compares: statuses, kinds, methods.

``StrEnum`` members are equal to their strings, so rows read back from the database,
JSON bodies and CHECK constraints keep using the plain words, while the code gets a name
that a typo cannot silently miss.
"""

from __future__ import annotations

from enum import StrEnum


class SaleStatus(StrEnum):
    COMPLETED = "completed"
    VOIDED = "voided"


class SaleKind(StrEnum):
    SALE = "sale"
    REFUND = "refund"


class PaymentMethod(StrEnum):
    CASH = "cash"
    TRANSFER = "transfer"
    CARD = "card"


class ShiftStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CashKind(StrEnum):
    IN = "in"
    OUT = "out"


class PrintJobState(StrEnum):
    PENDING = "pending"
    PRINTING = "printing"
    DONE = "done"
    FAILED = "failed"


class PrintJobKind(StrEnum):
    RECEIPT = "receipt"
    ZREPORT = "zreport"


class StockMoveKind(StrEnum):
    """Why a stock level moved: each row of the stock ledger says which."""

    RECEIVE = "receive"
    TRANSFER_IN = "transfer_in"
    TRANSFER_OUT = "transfer_out"
    SALE = "sale"
    REFUND = "refund"
    ADJUST = "adjust"
    COUNT = "count"
    EXPIRE = "expire"
    RETURN = "return"


class EventType(StrEnum):
    """The booth's outbox event types (``sync.models.EVENT_TYPES``)."""

    SALE_COMPLETED = "sale_completed"
    SALE_REFUNDED = "sale_refunded"
    SALE_VOIDED = "sale_voided"
    SHIFT_OPENED = "shift_opened"
    SHIFT_CLOSED = "shift_closed"
    CASH_MOVED = "cash_moved"
    TRANSFER_RECEIVED = "transfer_received"
    STOCK_ADJUSTED = "stock_adjusted"
    STOCKTAKE_COMMITTED = "stocktake_committed"
    RESTOCK_REQUESTED = "restock_requested"
