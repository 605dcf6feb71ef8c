"""What central keeps beyond the booths' own rows: each closed shift's report as the booth
sent it (the manifest reconciliation checks central's figures against)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from pos.extensions import db
from pos.types import UTCDateTime, utcnow


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
    receipts: Mapped[int] = mapped_column(default=0)
