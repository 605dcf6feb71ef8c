"""The till: shifts, cash movements, sales (and refunds) with their lines and payments.

Money is integer đồng and every invariant that can live in the table does (CHECKs), so
a bug in the services cannot store a sale whose lines do not add up. A refund is its own
``Sale`` row (``kind='refund'``) with *positive* amounts, linked to the original by
``refund_of_id``; reports subtract refunds, they never see negative numbers.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.enums import CashKind, PaymentMethod, SaleKind, SaleStatus, ShiftStatus
from core.extensions import db
from core.models import Booth, User, _in
from core.types import UTCDateTime, new_uuid, utcnow

SHIFT_STATUSES = tuple(s.value for s in ShiftStatus)
CASH_KINDS = tuple(k.value for k in CashKind)
SALE_STATUSES = tuple(s.value for s in SaleStatus)
SALE_KINDS = tuple(k.value for k in SaleKind)
PAYMENT_METHODS = tuple(m.value for m in PaymentMethod)
DENOMINATIONS = (500_000, 200_000, 100_000, 50_000, 20_000, 10_000, 5_000, 2_000, 1_000, 500)
MAX_QTY = 999


class Shift(db.Model):
    """One cashier's stint at one booth's till, from the opening float to the blind
    count."""

    __tablename__ = "shift"
    __table_args__ = (
        CheckConstraint(_in("status", SHIFT_STATUSES), name="status"),
        CheckConstraint("opening_float >= 0", name="opening_float"),
        CheckConstraint("counted_cash IS NULL OR counted_cash >= 0", name="counted_cash"),
        CheckConstraint("status = 'open' OR closed_at IS NOT NULL", name="closed_at"),
        # One open shift per cashier, enforced by the database as well as the service.
        Index("ix_shift_one_open_per_cashier", "cashier_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
        Index("ix_shift_booth_status", "booth_id", "status"),
        # Central reconciles by business day.
        Index("ix_shift_business_day", "business_day", "booth_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"))
    cashier_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    status: Mapped[str] = mapped_column(String(10), default="open")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The day the sales count towards (Asia/Ho_Chi_Minh), fixed when the shift opens.
    business_day: Mapped[date] = mapped_column(Date)
    opening_float: Mapped[int]
    counted_cash: Mapped[int | None]
    counted_denominations: Mapped[dict | None] = mapped_column(JSON)
    expected_cash: Mapped[int | None]
    difference: Mapped[int | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str] = mapped_column(String(500), default="")

    booth: Mapped[Booth] = relationship()
    cashier: Mapped[User] = relationship(foreign_keys=[cashier_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])


class CashMovement(db.Model):
    """Cash put into or taken out of the drawer outside a sale (change top-up, a
    bank drop)."""

    __tablename__ = "cash_movement"
    __table_args__ = (
        CheckConstraint(_in("kind", CASH_KINDS), name="kind"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    shift_id: Mapped[str] = mapped_column(ForeignKey("shift.id"), index=True)
    kind: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int]
    reason: Mapped[str] = mapped_column(String(300))
    by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    by: Mapped[User] = relationship()


class Sale(db.Model):
    """A receipt: a sale or a refund, numbered gap-free per booth (``COOP-01-000123``).

    ``id`` is the client's UUID, which makes a retried request harmless; ``request_hash``
    tells a retry from a different sale that reuses the id.
    """

    __tablename__ = "sale"
    __table_args__ = (
        UniqueConstraint("booth_id", "seq", name="uq_sale_booth_seq"),
        CheckConstraint(_in("status", SALE_STATUSES), name="status"),
        CheckConstraint(_in("kind", SALE_KINDS), name="kind"),
        CheckConstraint("seq > 0", name="seq_positive"),
        CheckConstraint("total >= 0", name="total"),
        CheckConstraint("discount_total >= 0", name="discount_total"),
        CheckConstraint("change >= 0", name="change"),
        CheckConstraint("(kind = 'refund') = (refund_of_id IS NOT NULL)", name="refund_link"),
        CheckConstraint("status = 'completed' OR voided_at IS NOT NULL", name="voided_at"),
        # The stock list's sold-in-the-last-30-days reads a booth's recent sales only.
        Index("ix_sale_booth_created", "booth_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"))
    seq: Mapped[int]
    number: Mapped[str] = mapped_column(String(50), unique=True)
    shift_id: Mapped[str] = mapped_column(ForeignKey("shift.id"), index=True)
    cashier_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="completed")
    kind: Mapped[str] = mapped_column(String(10), default="sale")
    refund_of_id: Mapped[str | None] = mapped_column(ForeignKey("sale.id"), index=True)
    total: Mapped[int]
    discount_total: Mapped[int] = mapped_column(default=0)
    change: Mapped[int] = mapped_column(default=0)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(String(500), default="")
    void_reason: Mapped[str] = mapped_column(String(500), default="")
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    request_hash: Mapped[str] = mapped_column(String(64))

    booth: Mapped[Booth] = relationship()
    shift: Mapped[Shift] = relationship()
    cashier: Mapped[User] = relationship(foreign_keys=[cashier_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    voided_by: Mapped[User | None] = relationship(foreign_keys=[voided_by_id])
    refund_of: Mapped[Sale | None] = relationship(remote_side=[id])
    lines: Mapped[list[SaleLine]] = relationship(
        back_populates="sale", order_by="SaleLine.position", cascade="all, delete-orphan")
    payments: Mapped[list[Payment]] = relationship(
        back_populates="sale", order_by="Payment.position", cascade="all, delete-orphan")


class SaleLine(db.Model):
    """One product on a receipt, with the name, price and VAT rate as they were then."""

    __tablename__ = "sale_line"
    __table_args__ = (
        UniqueConstraint("sale_id", "position", name="uq_sale_line_position"),
        CheckConstraint(f"qty > 0 AND qty <= {MAX_QTY}", name="qty"),
        CheckConstraint("unit_price >= 0", name="unit_price"),
        CheckConstraint("catalog_price >= 0", name="catalog_price"),
        CheckConstraint("discount >= 0", name="discount"),
        CheckConstraint("amount >= 0", name="amount_nonnegative"),
        CheckConstraint("amount = qty * unit_price - discount", name="amount_adds_up"),
        CheckConstraint("vat_rate IN (0, 5, 8, 10)", name="vat_rate"),
        CheckConstraint("showroom_rate_bp IS NULL OR showroom_rate_bp BETWEEN 0 AND 10000",
                        name="showroom_rate_bp"),
        CheckConstraint("host_rate_bp IS NULL OR host_rate_bp BETWEEN 0 AND 10000",
                        name="host_rate_bp"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[str] = mapped_column(ForeignKey("sale.id"))
    position: Mapped[int]
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    barcode: Mapped[str] = mapped_column(String(48), default="")
    name: Mapped[str] = mapped_column(String(200))
    qty: Mapped[int]
    unit_price: Mapped[int]
    catalog_price: Mapped[int]
    # Everything taken off this line, its share of a whole-sale discount included.
    discount: Mapped[int] = mapped_column(default=0)
    amount: Mapped[int]
    vat_rate: Mapped[int]
    # Central only: the showroom's and the host venue's commission (basis points) in force
    # when the line was sold, frozen at ingest so a later change of terms never rewrites a
    # sale; a refund line carries its original's. NULL: no term was in force.
    showroom_rate_bp: Mapped[int | None]
    host_rate_bp: Mapped[int | None]

    sale: Mapped[Sale] = relationship(back_populates="lines")


class Payment(db.Model):
    """Money taken for a sale (or paid back for a refund).

    ``amount`` is what counts towards the total, so a sale's payments always add up to
    its total; for cash, ``tendered`` is what the customer handed over, and the change
    given is ``tendered - amount``.
    """

    __tablename__ = "payment"
    __table_args__ = (
        UniqueConstraint("sale_id", "position", name="uq_payment_position"),
        CheckConstraint(_in("method", PAYMENT_METHODS), name="method"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("tendered IS NULL OR tendered >= amount", name="tendered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[str] = mapped_column(ForeignKey("sale.id"))
    position: Mapped[int]
    method: Mapped[str] = mapped_column(String(10))
    amount: Mapped[int]
    tendered: Mapped[int | None]
    reference: Mapped[str] = mapped_column(String(100), default="")

    sale: Mapped[Sale] = relationship(back_populates="payments")
