"""People, places and the audit trail: the rows every other package points at."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.types import UTCDateTime, new_uuid, utcnow

VENUE_KINDS = ("supermarket", "hotel", "beach", "other")
# A location that holds stock: a selling booth, or the central office's warehouse.
BOOTH_KINDS = ("booth", "warehouse")
USER_ROLES = ("cashier", "manager", "office", "admin")
BOOTH_ROLES = ("cashier", "manager")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Venue(db.Model):
    """A place that hosts booths: the Co.opmart supermarket, the Sao Mai hotel, a beach."""

    __tablename__ = "venue"
    __table_args__ = (CheckConstraint(_in("kind", VENUE_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(300), default="")
    district: Mapped[str] = mapped_column(String(100), default="")

    booths: Mapped[list[Booth]] = relationship(back_populates="venue", order_by="Booth.code")


class Booth(db.Model):
    """One selling point with its own stock, staff, till and receipt numbering — or, of
    kind ``warehouse``, the central office's store that receives from producers and ships
    to booths (the same ledger, so one set of rules keeps every location's stock)."""

    __tablename__ = "booth"
    __table_args__ = (CheckConstraint(_in("kind", BOOTH_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    venue_id: Mapped[int] = mapped_column(ForeignKey("venue.id"), index=True)
    tax_code: Mapped[str] = mapped_column(String(20), default="")
    active: Mapped[bool] = mapped_column(default=True)
    kind: Mapped[str] = mapped_column(String(20), default="booth", server_default="booth")

    venue: Mapped[Venue] = relationship(back_populates="booths")


class User(UserMixin, db.Model):
    """Someone who signs in: booth staff belong to one booth, the office to none."""

    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint(_in("role", USER_ROLES), name="role"),
        CheckConstraint(
            "role NOT IN ('cashier', 'manager') OR booth_id IS NOT NULL", name="booth_staff"
        ),
        CheckConstraint("locale IN ('vi', 'en')", name="locale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    booth_id: Mapped[int | None] = mapped_column(ForeignKey("booth.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(String(5), default="vi")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of the id kept in the session cookie; signing out bumps it, so a cookie
    # copied before the logout no longer signs anyone in.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")

    booth: Mapped[Booth | None] = relationship()

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sessions of disabled users
        return self.active

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class ApiToken(db.Model):
    """A Bearer credential for the API; only its SHA-256 is kept, so a leak of the table
    does not leak the token."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginFailure(db.Model):
    """Failed sign-ins, kept in the database so the limit holds across threads and
    processes."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_lookup", "username", "remote_addr", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    remote_addr: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(db.Model):
    """Append-only record of sensitive actions, hash-chained per booth so an edited row
    shows."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        UniqueConstraint("booth_id", "seq", name="uq_audit_entry_booth_seq"),
        Index("ix_audit_entry_booth_at", "booth_id", "at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    booth_id: Mapped[int | None] = mapped_column(ForeignKey("booth.id"))
    # Position in the booth's chain: the order in which hashes link.
    seq: Mapped[int]
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(50))
    target_type: Mapped[str] = mapped_column(String(50), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(500), default="")
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64))

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    approver: Mapped[User | None] = relationship(foreign_keys=[approver_id])


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _audit_is_append_only(mapper, connection, target):
    raise RuntimeError("audit entries are append-only")
