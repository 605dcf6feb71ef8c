"""A restored booth reads back its own events that central holds and it lost."""

from __future__ import annotations

import logging

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.models import Booth
from core.types import utcnow
from sync.apply import apply_events, parse_time
from sync.models import OutboxEvent

log = logging.getLogger(__name__)


def apply_recovered(session: Session, *, booth: Booth, events: list[dict]) -> int:
    """Apply each event the booth does not hold and store it as already acknowledged
    (central has it); an event that no longer fits (the booth went on selling after the
    restore) is skipped and logged: central keeps it either way. Returns how many were
    applied."""
    known = set(session.scalars(select(OutboxEvent.id).where(
        OutboxEvent.id.in_([e["id"] for e in events]))))
    applied = 0
    for event in events:
        if event["id"] in known:
            continue
        try:
            with session.begin_nested():
                problems = apply_events(session, booth=booth, events=[event])
                session.execute(insert(OutboxEvent).values(
                    id=event["id"], booth_id=booth.id, epoch=event["epoch"], seq=event["seq"],
                    type=event["type"], shift_id=event["payload"].get("shift_id"),
                    occurred_at=parse_time(event["occurred_at"]), payload=event["payload"],
                    hash=event["hash"], acked_at=utcnow()))
        except IntegrityError as err:
            problems = {event["id"]: str(err.orig)}
        if problems:
            log.warning("recovered event %s not applied: %s", event["id"], problems)
        else:
            applied += 1
    return applied
