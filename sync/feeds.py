"""What booths pull from central: the catalogue and their transfers, as versioned feeds.

Central stamps every changed producer, product (barcodes included) and transfer with the
next version of its feed, taken by updating the feed's head row: the row stays locked
until the writer commits, so versions become visible in order and a reader's cursor can
never pass a row that commits late (docs/sync-research.md §2.4). A booth applies a page
and stores the page's version in one transaction.
"""

from __future__ import annotations

from flask import current_app, has_app_context
from sqlalchemy import delete, event, insert, select, update
from sqlalchemy.orm import Session, selectinload

from core.errors import Conflict
from core.models import Booth
from inventory.models import Barcode, Producer, Product, Transfer, TransferLine
from sync.models import FeedHead
from sync.outbox import sync_state

MAX_PAGE = 1000
PRODUCER_FIELDS = ("id", "name", "name_folded", "kind", "commune", "district", "phone")
PRODUCT_FIELDS = ("id", "code", "name", "name_folded", "producer_id", "category", "unit",
                  "stars", "certified_year", "price", "vat_rate", "active", "origin_url")


class CursorAhead(Conflict):
    """A cursor central never issued (its database was restored, or the booth's cursor
    is corrupt): the booth must take a full snapshot."""

    code = "cursor_ahead"

    def __init__(self, message: str, *, head: int):
        super().__init__(message, field="since")
        self.head = head

    def to_json(self) -> dict:
        return super().to_json() | {"reset": True, "head": self.head}


def feed_head(session: Session, name: str) -> int:
    return session.scalar(select(FeedHead.version).where(FeedHead.name == name)) or 0


def bump_feed(session: Session, name: str) -> int:
    """The next version of a feed, locking its head row until this transaction ends."""
    version = session.execute(update(FeedHead).where(FeedHead.name == name)
                              .values(version=FeedHead.version + 1)
                              .returning(FeedHead.version)).scalar()
    if version is None:
        session.execute(insert(FeedHead).values(name=name, version=1))
        version = 1
    return version


@event.listens_for(Session, "before_flush")
def _stamp_catalogue_changes(session: Session, flush_context, instances) -> None:
    """At central, every change of the catalogue gets the next catalogue version, whatever
    code made it: the booths cannot miss a change that forgot to announce itself."""
    if session.info.get("applying_feed") or not has_app_context() \
            or current_app.config.get("OCOP_ROLE") != "central":
        return
    changed = [obj for obj in (*session.new, *session.dirty)
               if isinstance(obj, Producer | Product | Barcode)
               and (obj in session.new or session.is_modified(obj))]
    if not changed:
        return
    version = bump_feed(session, "catalog")
    for obj in changed:
        target = obj.product if isinstance(obj, Barcode) else obj
        if target is not None:
            target.catalog_version = version


# --- central: pages -------------------------------------------------------------------------


def _cutoff(session: Session, since: int, limit: int, head: int) -> tuple[int, bool]:
    """The version a page of about ``limit`` rows ends at (a version is never split)."""
    versions = sorted([*session.scalars(
        select(Product.catalog_version).where(Product.catalog_version > since)
        .order_by(Product.catalog_version).limit(limit + 1)), *session.scalars(
        select(Producer.catalog_version).where(Producer.catalog_version > since)
        .order_by(Producer.catalog_version).limit(limit + 1))])
    if len(versions) <= limit:
        return head, False
    cutoff = versions[limit - 1]
    return cutoff, cutoff < head


def catalog_page(session: Session, *, since: int, limit: int) -> dict:
    """Producers and products (with barcodes) changed after ``since``. Price changes that
    have come due are applied first, in their own flush, so the page carries them."""
    from central.catalog import apply_due_price_changes

    apply_due_price_changes(session)
    head = feed_head(session, "catalog")
    if since > head:
        raise CursorAhead(f"Phiên bản danh mục {since} lớn hơn phiên bản mới nhất {head}: "
                          "quầy cần tải lại toàn bộ danh mục.", head=head)
    until, has_more = _cutoff(session, since, limit, head)
    producers = session.scalars(select(Producer).where(
        Producer.catalog_version > since, Producer.catalog_version <= until)
        .order_by(Producer.id)).all()
    products = session.scalars(select(Product).where(
        Product.catalog_version > since, Product.catalog_version <= until)
        .options(selectinload(Product.barcodes)).order_by(Product.id)).all()
    return {
        "since": since, "next_version": until, "has_more": has_more, "head": head,
        "snapshot": since == 0,
        "producers": [{f: getattr(p, f) for f in PRODUCER_FIELDS} for p in producers],
        "products": [{f: getattr(p, f) for f in PRODUCT_FIELDS}
                     | {"barcodes": [{"id": b.id, "code": b.code, "kind": b.kind}
                                     for b in p.barcodes]} for p in products],
    }


def transfer_to_json(transfer: Transfer) -> dict:
    return {"id": transfer.id, "number": transfer.number, "status": transfer.status,
            "shipped_at": transfer.shipped_at.isoformat(), "shipped_by": transfer.shipped_by,
            "note": transfer.note, "version": transfer.version,
            "received_at": transfer.received_at.isoformat() if transfer.received_at else None,
            "received_by": transfer.received_by,
            "lines": [{"product_id": line.product_id, "name": line.product.name,
                       "qty": line.qty, "received": line.received} for line in transfer.lines]}


def transfers_page(session: Session, *, booth: Booth, since: int, limit: int) -> dict:
    """The booth's transfers changed after ``since``."""
    head = feed_head(session, "transfers")
    if since > head:
        raise CursorAhead(f"Phiên bản phiếu chuyển {since} lớn hơn phiên bản mới nhất "
                          f"{head}.", head=head)
    transfers = session.scalars(select(Transfer).where(
        Transfer.booth_id == booth.id, Transfer.version > since)
        .options(selectinload(Transfer.lines).selectinload(TransferLine.product))
        .order_by(Transfer.version).limit(limit + 1)).all()
    has_more = len(transfers) > limit
    transfers = transfers[:limit]
    until = transfers[-1].version if has_more else head
    return {"since": since, "next_version": until, "has_more": has_more, "head": head,
            "transfers": [transfer_to_json(t) for t in transfers]}


# --- booth: applying pages --------------------------------------------------------------------


def apply_catalog_page(session: Session, *, booth: Booth, page: dict) -> int:
    """Upsert the page's producers and products (same ids as central), replace their
    barcodes, and move the cursor, all in the caller's transaction. Returns the number of
    products applied."""
    session.info["applying_feed"] = True
    try:
        for row in page["producers"]:
            _upsert(session, Producer, {f: row[f] for f in PRODUCER_FIELDS}
                    | {"catalog_version": page["next_version"]})
        session.flush()
        product_ids = [row["id"] for row in page["products"]]
        codes = [b["code"] for row in page["products"] for b in row["barcodes"]]
        if product_ids:
            session.execute(delete(Barcode).where(
                Barcode.product_id.in_(product_ids) | Barcode.code.in_(codes)))
        for row in page["products"]:
            _upsert(session, Product, {f: row[f] for f in PRODUCT_FIELDS}
                    | {"catalog_version": page["next_version"]})
        session.flush()
        barcodes = [{"id": b["id"], "code": b["code"], "kind": b["kind"],
                     "product_id": row["id"]} for row in page["products"]
                    for b in row["barcodes"]]
        if barcodes:
            session.execute(delete(Barcode).where(
                Barcode.id.in_([b["id"] for b in barcodes])))
            session.execute(insert(Barcode), barcodes)
        sync_state(session, booth).catalog_version = page["next_version"]
        session.flush()
    finally:
        session.info.pop("applying_feed", None)
    session.expire_all()
    return len(page["products"])


def _upsert(session: Session, model, values: dict) -> None:
    row = session.get(model, values["id"])
    if row is None:
        session.add(model(**values))
    else:
        for key, value in values.items():
            setattr(row, key, value)


def apply_transfers_page(session: Session, *, booth: Booth, page: dict) -> int:
    """Store the transfers central shipped to this booth; a transfer the booth already
    counted keeps its local receipt."""
    from sync.apply import parse_time

    for row in page["transfers"]:
        transfer = session.get(Transfer, row["id"])
        if transfer is None:
            transfer = Transfer(id=row["id"], number=row["number"], booth_id=booth.id,
                                status="shipped", shipped_at=parse_time(row["shipped_at"]),
                                shipped_by=row["shipped_by"], note=row["note"],
                                version=row["version"])
            transfer.lines = [TransferLine(position=i, product_id=line["product_id"],
                                           qty=line["qty"])
                              for i, line in enumerate(row["lines"])]
            session.add(transfer)
        else:
            transfer.version = row["version"]
    sync_state(session, booth).transfers_version = page["next_version"]
    session.flush()
    return len(page["transfers"])
