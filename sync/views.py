"""The link as people see it: the booth's sync page and transfers to receive; central's
list of events kept for review."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core.auth import BOOTH_STAFF, MANAGERS, OFFICE, allow
from core.errors import DomainError
from core.extensions import db
from core.input import is_ascii_digits
from core.models import Booth
from inventory.models import Transfer
from inventory.transfers import get_transfer, receive_transfer
from pos.context import current_booth
from sync.models import IngestedEvent
from sync.status import sync_status

booth_bp = Blueprint("sync", __name__, template_folder="templates")
office_bp = Blueprint("sync_office", __name__, template_folder="templates")


@booth_bp.app_context_processor
def _sync_badge():
    """Every booth page shows how many events still wait for central."""
    from flask import has_request_context

    from sync.outbox import pending_summary

    if not has_request_context() or current_user.is_anonymous \
            or current_user.role not in BOOTH_STAFF:
        return {}
    try:
        count, oldest = pending_summary(db.session, current_booth())
    except DomainError:
        return {}
    return {"sync_pending": count, "sync_oldest": oldest}


@booth_bp.get("/sync")
@allow(*BOOTH_STAFF)
def status_page():
    status = sync_status(db.session, booth=current_booth(),
                         configured=bool(current_app.config.get("OCOP_CENTRAL_URL")))
    return render_template("sync/status.html", status=status,
                           central_url=current_app.config.get("OCOP_CENTRAL_URL"))


@booth_bp.post("/sync/run")
@allow(*MANAGERS)
def run_now():
    worker = current_app.extensions.get("sync_worker")
    if worker is None:
        flash(_("Quầy chưa cấu hình đồng bộ (OCOP_CENTRAL_URL)."), "error")
    else:
        worker.wake()
        flash(_("Đã yêu cầu đồng bộ ngay."), "info")
    return redirect(url_for("sync.status_page"), 303)


@booth_bp.get("/transfers")
@allow(*MANAGERS)
def transfers_page():
    booth = current_booth()
    transfers = db.session.scalars(select(Transfer).where(Transfer.booth_id == booth.id)
                                   .order_by(Transfer.shipped_at.desc()).limit(200)).all()
    return render_template("sync/transfers.html", transfers=transfers)


def _whole_or_none(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if is_ascii_digits(text) and len(text) <= 9 else None


@booth_bp.route("/transfers/<transfer_id>", methods=["GET", "POST"])
@allow(*MANAGERS)
def receive_page(transfer_id: str):
    booth = current_booth()
    transfer = get_transfer(db.session, booth=booth, transfer_id=transfer_id[:64])
    if request.method == "POST":
        counts = []
        for line in transfer.lines:
            value = _whole_or_none(request.form.get(f"received-{line.product_id}"))
            if value is None:
                raise DomainError(_("Số nhận của “%(name)s” phải là số nguyên không âm.",
                                    name=line.product.name), field=f"received-{line.product_id}")
            counts.append((line.product_id, value))
        receive_transfer(db.session, booth=booth, transfer=transfer, received=counts,
                         by=current_user)
        db.session.commit()
        flash(_("Đã nhận phiếu chuyển %(n)s.", n=transfer.number), "info")
        return redirect(url_for("sync.receive_page", transfer_id=transfer.id), 303)
    return render_template("sync/receive.html", transfer=transfer)


@office_bp.get("/sync/review")
@allow(*OFFICE)
def review_page():
    events = db.session.scalars(select(IngestedEvent).where(
        IngestedEvent.status == "needs_review").order_by(IngestedEvent.received_at.desc())
        .limit(500)).all()
    booths = {b.id: b.code for b in db.session.scalars(select(Booth))}
    return render_template("sync/review.html", events=events, booths=booths)
