"""What the people see of the link: the booth's waiting events, central's booth health."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Booth
from core.types import utcnow
from sync.models import BoothHealth, IngestedEvent, SyncState
from sync.outbox import pending_summary

SILENT_AFTER = timedelta(hours=12)
SKEW_WARNING_SECONDS = 300


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def sync_status(session: Session, *, booth: Booth, configured: bool) -> dict:
    """The contract's ``{pending, oldest_pending_at, last_push_at, last_pull_at,
    last_error}`` plus the epoch and the age of the oldest waiting event."""
    pending, oldest = pending_summary(session, booth)
    state = session.get(SyncState, booth.id)
    now = utcnow()
    return {
        "configured": configured, "pending": pending, "oldest_pending_at": _iso(oldest),
        "oldest_pending_age_seconds": round((now - oldest).total_seconds()) if oldest else None,
        "last_push_at": _iso(state.last_push_at) if state else None,
        "last_pull_at": _iso(state.last_pull_at) if state else None,
        "last_error": (state.last_error or None) if state else None,
        "last_error_at": _iso(state.last_error_at) if state else None,
        "epoch": state.epoch if state else None, "epoch_no": state.epoch_no if state else None,
        "catalog_version": state.catalog_version if state else 0,
    }


def booth_health_rows(session: Session) -> list[dict]:
    """Every booth, silent ones first: last contact, events behind, clock skew and the
    events waiting for review."""
    review = dict(session.execute(select(IngestedEvent.booth_id, func.count()).where(
        IngestedEvent.status == "needs_review").group_by(IngestedEvent.booth_id)).all())
    health = {h.booth_id: h for h in session.scalars(select(BoothHealth))}
    now = utcnow()
    rows = []
    for booth in session.scalars(select(Booth).where(Booth.kind == "booth").order_by(Booth.code)):
        h = health.get(booth.id)
        last = h.last_contact_at if h else None
        rows.append({
            "booth": booth.code, "venue": booth.venue.code, "name": booth.name,
            "active": booth.active, "last_contact_at": _iso(last),
            "last_push_at": _iso(h.last_push_at) if h else None,
            "silent": booth.active and (last is None or now - last > SILENT_AFTER),
            "never_synced": last is None,
            "events_behind": h.events_behind if h else 0,
            "oldest_pending_at": _iso(h.oldest_pending_at) if h else None,
            "clock_skew": h.clock_skew if h else None,
            "clock_skew_warning": bool(h and h.clock_skew is not None
                                       and abs(h.clock_skew) > SKEW_WARNING_SECONDS),
            "needs_review": review.get(booth.id, 0),
            # The audit chain head the booth reported, and what is wrong with it if
            # entries were deleted or rewritten at the booth ("" when nothing).
            "audit_head_seq": h.audit_seq if h else None,
            "audit_alert": h.audit_alert if h else "",
            "audit_alert_at": _iso(h.audit_alert_at) if h else None,
        })
    rows.sort(key=lambda r: (not r["silent"], r["last_contact_at"] or "", r["booth"]))
    return rows
