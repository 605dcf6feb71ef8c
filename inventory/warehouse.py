"""The central office's warehouse: a stock location like a booth (same ledger, same
rules) that receives goods from producers and ships them to booths."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pos.models import Booth, Venue

WAREHOUSE_CODE = "KHO-TT"
WAREHOUSE_VENUE = "VP-TT"


def central_warehouse(session: Session) -> Booth:
    """The warehouse location, created on first use."""
    warehouse = session.scalar(select(Booth).where(Booth.code == WAREHOUSE_CODE))
    if warehouse is None:
        venue = session.scalar(select(Venue).where(Venue.code == WAREHOUSE_VENUE))
        if venue is None:
            venue = Venue(code=WAREHOUSE_VENUE, name="Văn phòng điều phối OCOP Thanh Hóa",
                          kind="other", address="TP Thanh Hóa", district="TP Thanh Hóa")
            session.add(venue)
        warehouse = Booth(code=WAREHOUSE_CODE, name="Kho trung tâm", venue=venue,
                          kind="warehouse")
        session.add(warehouse)
        session.flush()
    return warehouse
