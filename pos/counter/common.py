"""What every part of the counter shares: limits, errors, the till's inputs, the
staff checks and the booth's write lock."""

from __future__ import annotations

import sys
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from core.errors import Conflict, DomainError, Forbidden
from core.models import Booth, User
from pos.counter.writelock import lock_booth_row
from pos.counter_models import MAX_QTY  # noqa: F401  (re-exported)

BUSINESS_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_CASH_DIFF_THRESHOLD = 50_000
# How far (percent of the catalogue price) a price-embedded label may stray unapproved.
DEFAULT_PRICE_TOLERANCE = 20
MAX_LINES = 200
MAX_PAYMENTS = 10
# 2 tỷ đồng: far above any till, and below 2**31 so it fits PostgreSQL's INTEGER.
MAX_AMOUNT = 2_000_000_000
MAX_ID = 2**31 - 1
APPROVER_ROLES = ("manager", "admin")

# A wrong manager password at the till counts like a failed sign-in.
APPROVAL_MAX_FAILURES = 5
APPROVAL_LOCKOUT = timedelta(minutes=15)


class NoOpenShift(Conflict):
    code = "no_open_shift"


class NeedsManager(Conflict):
    code = "needs_manager"


class BadApproval(Forbidden):
    code = "bad_approval"


class IdReused(Conflict):
    code = "id_reused"


class ShortPayment(DomainError):
    code = "short_payment"


@dataclass(frozen=True)
class LineInput:
    """One line as the till sent it: a scanned ``barcode`` or a ``product_id``."""

    qty: int
    barcode: str | None = None
    product_id: int | None = None
    unit_price: int | None = None
    discount: int | None = None
    discount_percent: int | None = None


@dataclass(frozen=True)
class PaymentInput:
    method: str
    amount: int
    tendered: int | None = None
    reference: str = ""


@dataclass(frozen=True)
class Approval:
    """Who approves: a manager's API token, or their username and password."""

    token: str | None = None
    username: str | None = None
    password: str | None = None
    # The till the request came from (its address): wrong tries are counted per
    # cashier and device.
    device: str = ""


def now() -> datetime:
    """The till's clock: ``pos.counter.utcnow``, looked up at each call so that tests
    can set the clock of the whole counter in one place."""
    return sys.modules["pos.counter"].utcnow()


def lock_booth(session: Session, booth: Booth) -> None:
    """Serialise the booth's writers (a no-op on SQLite, which is already serialised)."""
    lock_booth_row(session, booth.id)


def check_staff(booth: Booth, user: User) -> None:
    if user.role != "admin" and user.booth_id != booth.id:
        raise Forbidden(_("Tài khoản này không thuộc quầy %(code)s.", code=booth.code),
                        code="wrong_booth")


def is_manager_of(user: User | None, booth: Booth) -> bool:
    return bool(user and user.active and (
        user.role == "admin" or (user.role == "manager" and user.booth_id == booth.id)))


def require(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message, field=field, code="required")
    return value


def normalise_id(value: str | None) -> str:
    """A client UUID in canonical form, or a new one when the client sent none."""
    if value is None:
        return str(uuid.uuid4())
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise DomainError(_("Mã (id) phải là một UUID."), field="id") from None
