"""HTTP faces of the sync: central's ``/api/sync/v1`` (booth credential only), and the
booth's and central's ``/api/v1`` views of the link and of transfers."""

from __future__ import annotations

import functools
import json

from flask import Blueprint, current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from core.auth import ALL_ROLES, MANAGERS, OFFICE, allow
from core.errors import DomainError, Malformed, Unauthorized
from core.extensions import db
from core.input import DbIntegers, is_ascii_digits, no_body, takes
from inventory.models import Transfer
from inventory.transfers import get_transfer, receive_transfer
from pos.context import current_booth
from sync import feeds, ingest
from sync.credentials import booth_for_token
from sync.models import IngestedEvent, SyncEpoch
from sync.status import booth_health_rows, sync_status

MAX_BODY_BYTES = 8 * 1024 * 1024  # a batch of 500 events is well under 2 MB

central_bp = Blueprint("sync_api", __name__, url_prefix="/api/sync/v1")
booth_bp = Blueprint("sync_booth_api", __name__, url_prefix="/api/v1")
office_bp = Blueprint("sync_office_api", __name__, url_prefix="/api/v1")


# --- parsing --------------------------------------------------------------------------------


def exact_json_body() -> object:
    """A booth's batch exactly as sent: each event's hash covers its payload, so its
    strings must not be normalised on the way in (the app's provider would); depth and
    valid Unicode are still checked."""
    from core.safejson import check_depth

    try:
        text = request.get_data(cache=True).decode("utf-8")
        check_depth(text)
        data = json.loads(text)
        json.dumps(data, ensure_ascii=False).encode("utf-8")  # no lone surrogates
    except (ValueError, UnicodeError):
        raise Malformed(_("Nội dung yêu cầu phải là JSON hợp lệ (UTF-8).")) from None
    return data


def _int_arg(name: str, default: int, *, maximum: int) -> int:
    value = request.args.get(name, str(default))
    if not is_ascii_digits(value) or len(value) > 19 or int(value) > maximum:
        raise DomainError(_("Tham số %(n)s phải là số nguyên từ 0 đến %(m)d.", n=name,
                            m=maximum), field=name, code="invalid")
    return int(value)


# --- central: the booths' endpoints -------------------------------------------------------


def booth_credential(view):
    """Authenticate the call by the booth's sync token alone; the booth it names is the
    only booth the call may read or write (``g.sync_booth``)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise Unauthorized(_("Cần mã đồng bộ của quầy (Authorization: Bearer …)."),
                               code="bad_sync_token")
        g.sync_booth = booth_for_token(db.session, header[len("Bearer "):].strip())
        return view(*args, **kwargs)

    wrapped.allowed_roles = None  # no person signs in here: the credential decides
    wrapped.booth_credential = True
    return wrapped


@central_bp.before_request
def _limit_body():
    request.max_content_length = MAX_BODY_BYTES


@central_bp.post("/events")
@booth_credential
@takes(ingest.PushIn, reader=exact_json_body)
def push_events(body: ingest.PushIn):
    """Store a batch of the booth's events (idempotent); answer what central holds."""
    answer = ingest.ingest_batch(db.session, booth=g.sync_booth, body=body)
    db.session.commit()
    return answer


@central_bp.get("/catalog")
@booth_credential
def pull_catalog():
    """Producers, products and barcodes changed after ``since``."""
    page = feeds.catalog_page(db.session, since=_int_arg("since", 0, maximum=2**62),
                              limit=max(1, _int_arg("limit", 500, maximum=feeds.MAX_PAGE)))
    _touch(g.sync_booth)
    return page


@central_bp.get("/transfers")
@booth_credential
def pull_transfers():
    """Transfers addressed to this booth changed after ``since``."""
    page = feeds.transfers_page(db.session, booth=g.sync_booth,
                                since=_int_arg("since", 0, maximum=2**62),
                                limit=max(1, _int_arg("limit", 200, maximum=feeds.MAX_PAGE)))
    _touch(g.sync_booth)
    return page


@central_bp.get("/epochs")
@booth_credential
def list_epochs():
    """This booth's epochs as central holds them (for a booth recovering lost events)."""
    rows = db.session.scalars(select(SyncEpoch).where(SyncEpoch.booth_id == g.sync_booth.id)
                              .order_by(SyncEpoch.epoch_no, SyncEpoch.started_at))
    return {"epochs": [{"epoch": e.epoch, "epoch_no": e.epoch_no, "high_water": e.high_water}
                       for e in rows]}


@central_bp.get("/events")
@booth_credential
def list_own_events():
    """This booth's own events of one epoch after ``after_seq``, as central stored them."""
    epoch = request.args.get("epoch", "")
    after = _int_arg("after_seq", 0, maximum=2**62)
    limit = max(1, _int_arg("limit", 500, maximum=feeds.MAX_PAGE))
    rows = db.session.scalars(select(IngestedEvent).where(
        IngestedEvent.booth_id == g.sync_booth.id, IngestedEvent.epoch == epoch,
        IngestedEvent.seq > after).order_by(IngestedEvent.seq).limit(limit)).all()
    return {"events": [{"id": e.id, "epoch": e.epoch, "seq": e.seq, "type": e.type,
                        "hash": e.hash, "occurred_at": e.occurred_at.isoformat(),
                        "payload": e.payload} for e in rows]}


def _touch(booth) -> None:
    """Every authenticated call is a sign of life."""
    ingest.record_contact(db.session, booth=booth)
    db.session.commit()


# --- booth ----------------------------------------------------------------------------------


@booth_bp.get("/sync/status")
@allow(*ALL_ROLES)
def booth_sync_status():
    """Events waiting for central, the oldest's age, last push and pull, last error."""
    return sync_status(db.session, booth=current_booth(),
                       configured=bool(current_app.config.get("OCOP_CENTRAL_URL")))


@booth_bp.post("/sync/run")
@allow(*MANAGERS)
@no_body
def booth_sync_now():
    """Wake the sync worker now (it runs in the served booth)."""
    worker = current_app.extensions.get("sync_worker")
    if worker is None:
        raise DomainError(_("Quầy chưa cấu hình đồng bộ (OCOP_CENTRAL_URL)."),
                          code="sync_not_configured", status=409)
    worker.wake()
    return {"status": "started"}, 202


@booth_bp.get("/transfers")
@allow(*MANAGERS)
def booth_transfers():
    """Transfers central shipped to this booth, newest first."""
    booth = current_booth()
    rows = db.session.scalars(select(Transfer).where(Transfer.booth_id == booth.id)
                              .order_by(Transfer.shipped_at.desc()).limit(200))
    return {"transfers": [feeds.transfer_to_json(t) for t in rows]}


class ReceiveLine(DbIntegers):
    product_id: int
    received: int
    # Perishables: the lot printed on the carton and its expiry (YYYY-MM-DD).
    lot_code: str | None = None
    expires_on: str | None = None


class ReceiveIn(DbIntegers):
    lines: list[ReceiveLine]


@booth_bp.post("/transfers/<transfer_id>/receive")
@allow(*MANAGERS)
@takes(ReceiveIn)
def booth_receive_transfer(transfer_id: str, body: ReceiveIn):
    """Book what arrived of a transfer, every line counted (zero allowed)."""
    booth = current_booth()
    transfer = get_transfer(db.session, booth=booth, transfer_id=transfer_id[:64])
    from inventory.lots import parse_lot

    lots = {line.product_id: parse_lot(line.lot_code, line.expires_on, field=f"lines[{i}]")
            for i, line in enumerate(body.lines) if line.lot_code or line.expires_on}
    transfer = receive_transfer(db.session, booth=booth, transfer=transfer,
                                received=[(line.product_id, line.received)
                                          for line in body.lines], by=current_user,
                                lots=lots)
    answer = feeds.transfer_to_json(transfer)
    db.session.commit()
    return answer


# --- central: the office's view -------------------------------------------------------------


@office_bp.get("/sync/booths")
@allow(*OFFICE)
def office_booth_health():
    """Every booth's link: last contact, events behind, clock skew, events to review."""
    return {"booths": booth_health_rows(db.session)}


@office_bp.get("/sync/review")
@allow(*OFFICE)
def office_review_events():
    """Events kept for review (a broken business rule), newest first."""
    rows = db.session.scalars(select(IngestedEvent).where(
        IngestedEvent.status == "needs_review").order_by(IngestedEvent.received_at.desc())
        .limit(500))
    count = db.session.scalar(select(func.count()).select_from(IngestedEvent).where(
        IngestedEvent.status == "needs_review"))
    return {"count": count, "events": [
        {"id": e.id, "booth_id": e.booth_id, "type": e.type, "seq": e.seq, "epoch": e.epoch,
         "problem": e.problem, "received_at": e.received_at.isoformat(),
         "payload": e.payload} for e in rows]}
