"""What central keeps beyond the booths' own rows: each closed shift's report as the booth
sent it (the manifest reconciliation checks central's figures against)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.types import UTCDateTime, utcnow


class ShiftReport(db.Model):
    """A shift's Z-report and event manifest as the booth reported them at closing."""

    __tablename__ = "shift_report"
    __table_args__ = (Index("ix_shift_report_day_booth", "business_day", "booth_id"),)

    shift_id: Mapped[str] = mapped_column(ForeignKey("shift.id"), primary_key=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"))
    business_day: Mapped[date] = mapped_column(Date)
    closed_by: Mapped[str] = mapped_column(String(64), default="")
    report: Mapped[dict] = mapped_column(JSON)
    manifest: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SalesDaily(db.Model):
    """Net sales per business day, booth and product, kept by the ingest in the same
    transaction as the sale rows: a year's report reads this (hundreds of thousands of
    rows) instead of ten million sale lines."""

    __tablename__ = "sales_daily"

    business_day: Mapped[date] = mapped_column(Date, primary_key=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), primary_key=True)
    qty: Mapped[int] = mapped_column(default=0)
    amount: Mapped[int] = mapped_column(BigInteger, default=0)
    # Receipts (kind sale) with this product: a receipt counts once however many lines.
    receipts: Mapped[int] = mapped_column(default=0)
    # What refunds paid back that day (already subtracted from qty and amount): gross
    # takings are amount + refund_amount.
    refund_qty: Mapped[int] = mapped_column(default=0, server_default="0")
    refund_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class SalesMonthly(db.Model):
    """``sales_daily`` added up per calendar month of business days, kept by the same
    upsert: a year's report over whole months reads twelve rows per booth and product
    instead of 365 (the days of a partial month come from ``sales_daily``)."""

    __tablename__ = "sales_monthly"

    month: Mapped[date] = mapped_column(Date, primary_key=True)  # its first day
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), primary_key=True)
    qty: Mapped[int] = mapped_column(default=0, server_default="0")
    amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    receipts: Mapped[int] = mapped_column(default=0, server_default="0")
    refund_qty: Mapped[int] = mapped_column(default=0, server_default="0")
    refund_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class SalesDailyBooth(db.Model):
    """Receipts per business day and booth, kept with ``sales_daily``: a receipt holds
    several products, so the receipts of a day, a booth or a venue cannot be added up
    from the per-product rows."""

    __tablename__ = "sales_daily_booth"

    business_day: Mapped[date] = mapped_column(Date, primary_key=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"), primary_key=True)
    receipts: Mapped[int] = mapped_column(default=0, server_default="0")
    refund_receipts: Mapped[int] = mapped_column(default=0, server_default="0")


# --- consignment settlements -------------------------------------------------------------


class CommissionTerm(db.Model):
    """The showroom's cut of a producer's takings (or of one product's, where it differs),
    in basis points from a business day on. Rows are never edited: a new rate is a new row,
    so the history stays and sale lines keep the rate frozen on them when they were sold."""

    __tablename__ = "commission_term"
    __table_args__ = (
        CheckConstraint("rate_bp BETWEEN 0 AND 10000", name="rate_bp"),
        Index("ix_commission_term_lookup", "producer_id", "product_id", "effective_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id"))
    # None: the producer's rate; a product: that product's own rate, which wins.
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))
    rate_bp: Mapped[int]
    effective_from: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(String(300), default="")


HOST_TERM_KINDS = ("commission", "rent")


class HostTerm(db.Model):
    """What a host venue (a supermarket, a hotel, the beach) takes from a business day on:
    a commission on its booths' takings, or a fixed monthly rent the showroom pays (which
    is no producer's cost, so it never enters a settlement)."""

    __tablename__ = "host_term"
    __table_args__ = (
        CheckConstraint("kind IN ('commission', 'rent')", name="kind"),
        CheckConstraint("rate_bp BETWEEN 0 AND 10000", name="rate_bp"),
        CheckConstraint("monthly_rent >= 0", name="monthly_rent"),
        CheckConstraint("kind = 'commission' OR rate_bp = 0", name="rent_has_no_rate"),
        CheckConstraint("kind = 'rent' OR monthly_rent = 0", name="commission_has_no_rent"),
        Index("ix_host_term_lookup", "venue_id", "effective_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venue.id"))
    kind: Mapped[str] = mapped_column(String(20))
    rate_bp: Mapped[int] = mapped_column(default=0)
    monthly_rent: Mapped[int] = mapped_column(BigInteger, default=0)
    effective_from: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(String(300), default="")


SETTLEMENT_STATUSES = ("draft", "paid")


class Settlement(db.Model):
    """What a producer's consigned goods earned over a period, and what was paid for it.

    ``statement`` keeps the whole statement as computed, so a paid settlement prints the
    same figures forever; the money columns repeat its totals for queries and CHECKs."""

    __tablename__ = "settlement"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'paid')", name="status"),
        CheckConstraint("period_from <= period_to", name="period"),
        CheckConstraint("payable = gross - showroom_commission - host_commission",
                        name="payable_adds_up"),
        CheckConstraint("status = 'draft' OR (paid_amount IS NOT NULL AND paid_on IS NOT NULL"
                        " AND paid_at IS NOT NULL)", name="paid_fields"),
        CheckConstraint("paid_amount IS NULL OR paid_amount >= 0", name="paid_amount"),
        Index("ix_settlement_producer_status", "producer_id", "status", "period_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id"))
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    gross: Mapped[int] = mapped_column(BigInteger)
    showroom_commission: Mapped[int] = mapped_column(BigInteger)
    host_commission: Mapped[int] = mapped_column(BigInteger)
    payable: Mapped[int] = mapped_column(BigInteger)
    statement: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    paid_amount: Mapped[int | None] = mapped_column(BigInteger)
    paid_on: Mapped[date | None] = mapped_column(Date)
    paid_reference: Mapped[str] = mapped_column(String(100), default="")
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_by: Mapped[str] = mapped_column(String(64), default="")

    @property
    def number(self) -> str:
        return f"QT-{self.id:05d}"


class SettlementLine(db.Model):
    """One sale line a settlement counted, with the figures it counted (signed: a refund
    or a reversed void subtracts). Paying locks the lines: the partial unique index lets
    a line sit in any number of drafts but in one paid settlement per role."""

    __tablename__ = "settlement_line"
    __table_args__ = (
        CheckConstraint("role IN ('line', 'void')", name="role"),
        Index("uq_settlement_line_locked", "sale_line_id", "role", unique=True,
              sqlite_where=text("locked"), postgresql_where=text("locked")),
        Index("ix_settlement_line_settlement", "settlement_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("settlement.id"))
    sale_line_id: Mapped[int] = mapped_column(ForeignKey("sale_line.id"))
    # 'line': the sale or refund line itself; 'void': a paid sale voided afterwards, undone.
    role: Mapped[str] = mapped_column(String(10), default="line")
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    qty: Mapped[int]
    amount: Mapped[int] = mapped_column(BigInteger)
    showroom_rate_bp: Mapped[int]
    host_rate_bp: Mapped[int]
    showroom_commission: Mapped[int] = mapped_column(BigInteger)
    host_commission: Mapped[int] = mapped_column(BigInteger)
    locked: Mapped[bool] = mapped_column(default=False)


class ProducerReturn(db.Model):
    """Unsold consigned goods handed back to their producer: a document whose number is
    the reference of its ``return`` stock moves."""

    __tablename__ = "producer_return"
    __table_args__ = (Index("ix_producer_return_producer_at", "producer_id", "returned_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id"))
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"))  # where the goods left
    returned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    returned_by: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(String(300), default="")

    lines: Mapped[list[ProducerReturnLine]] = relationship(
        back_populates="document", order_by="ProducerReturnLine.position",
        cascade="all, delete-orphan")

    @property
    def number(self) -> str:
        return f"TH-{self.id:05d}"


class ProducerReturnLine(db.Model):
    __tablename__ = "producer_return_line"
    __table_args__ = (CheckConstraint("qty > 0", name="qty_positive"),
                      UniqueConstraint("return_id", "product_id",
                                       name="uq_producer_return_line_product"))

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("producer_return.id"), index=True)
    position: Mapped[int]
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    qty: Mapped[int]

    document: Mapped[ProducerReturn] = relationship(back_populates="lines")
