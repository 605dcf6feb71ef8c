"""The print queue: one row per receipt or report to print, so a printer that is off,
unplugged or out of paper never blocks or loses a sale."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.enums import PrintJobKind, PrintJobState
from core.extensions import db
from core.models import User, _in
from core.types import UTCDateTime, new_uuid, utcnow

JOB_KINDS = tuple(kind.value for kind in PrintJobKind)
JOB_STATES = tuple(state.value for state in PrintJobState)


class PrintJob(db.Model):
    """A document waiting for, being sent to, or sent to the booth's printer.

    The job is written in the sale's own transaction; the worker renders from the
    committed sale and records each attempt, retrying a failure with backoff.
    """

    __tablename__ = "print_job"
    __table_args__ = (
        CheckConstraint(_in("kind", JOB_KINDS), name="kind"),
        CheckConstraint(_in("state", JOB_STATES), name="state"),
        CheckConstraint("(sale_id IS NULL) <> (shift_id IS NULL)", name="one_document"),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_print_job_due", "booth_id", "state", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"))
    kind: Mapped[str] = mapped_column(String(10))
    sale_id: Mapped[str | None] = mapped_column(ForeignKey("sale.id"), index=True)
    shift_id: Mapped[str | None] = mapped_column(ForeignKey("shift.id"))
    reprint: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(10), default=PrintJobState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    requested_by: Mapped[User | None] = relationship()
