"""The booth manager's pages for stocktakes, expiring lots and restock requests.

Thin views: parse the form, call one service, commit, redirect. The count page scans
through the JSON API (``counts_api``); the form posts here work without JavaScript.
"""

from __future__ import annotations

import re
import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core.auth import BOOTH_STAFF, MANAGERS, allow
from core.errors import DomainError
from core.extensions import db
from core.input import is_ascii_digits
from inventory import lots as lot_service
from inventory import restock, stocktakes
from inventory.barcodes import BarcodeError, parse_scan
from inventory.models import Barcode, Producer, Product, Stocktake
from pos.context import current_booth

bp = Blueprint("counts", __name__, template_folder="templates")


def _whole(text: str | None, *, what: str, field: str) -> int | None:
    """A typed count: blank is "not counted", anything but a whole number is refused."""
    text = (text or "").strip()
    if not text:
        return None
    if not is_ascii_digits(text) or len(text) > 6:
        raise DomainError(_("%(what)s: “%(text)s” không phải số nguyên không âm.", what=what,
                            text=text[:20]), field=field, code="bad_quantity")
    return int(text)


# --- stocktakes -----------------------------------------------------------------------------


@bp.get("/stocktakes")
@allow(*MANAGERS)
def stocktakes_page():
    """The booth's stocktakes and the form that opens a new one."""
    booth = current_booth()
    rows = db.session.scalars(select(Stocktake).where(Stocktake.booth_id == booth.id)
                              .order_by(Stocktake.started_at.desc()).limit(100)).all()
    producers = db.session.scalars(select(Producer).order_by(Producer.district,
                                                             Producer.name)).all()
    return render_template("inventory/stocktakes.html", stocktakes=rows, producers=producers)


def _product_ids_from_codes(text: str) -> list[int]:
    """OCOP codes or barcodes typed one per line (or separated by commas)."""
    ids = []
    for token in [t for t in re.split(r"[\s,;]+", text or "") if t]:
        product_id = db.session.scalar(select(Product.id).where(Product.code == token.upper()))
        if product_id is None:
            try:
                scan = parse_scan(token)
            except BarcodeError:
                scan = None
            if scan is not None:
                product_id = db.session.scalar(select(Barcode.product_id).where(
                    Barcode.code == scan.lookup_code))
        if product_id is None:
            raise DomainError(_("Không tìm thấy sản phẩm có mã “%(code)s”.", code=token[:40]),
                              field="product_codes", code="unknown_product")
        ids.append(product_id)
    return ids


@bp.post("/stocktakes")
@allow(*MANAGERS)
def start_stocktake_page():
    """Open a stocktake over the whole booth, a producer or typed codes; go count it."""
    scope = request.form.get("scope", "all")
    kwargs: dict = {}
    if scope == "producer":
        raw = request.form.get("producer_id", "")
        if not is_ascii_digits(raw):
            raise DomainError(_("Hãy chọn một chủ thể."), field="producer_id",
                              code="bad_scope")
        kwargs["producer_id"] = int(raw)
    elif scope == "products":
        kwargs["product_ids"] = _product_ids_from_codes(request.form.get("product_codes", ""))
    stocktake, _created = stocktakes.start_stocktake(
        db.session, booth=current_booth(), by=current_user, **kwargs)
    db.session.commit()
    flash(_("Đã mở phiếu kiểm kê %(n)s.", n=stocktake.number), "info")
    return redirect(url_for("counts.stocktake_page", stocktake_id=stocktake.id), 303)


@bp.get("/stocktakes/<stocktake_id>")
@allow(*BOOTH_STAFF)
def stocktake_page(stocktake_id: str):
    """The count page: a scan field (+1 per scan) and editable counts, never the books."""
    booth = current_booth()
    stocktake = stocktakes.get_stocktake(db.session, booth=booth, stocktake_id=stocktake_id)
    return render_template("inventory/stocktake.html", stocktake=stocktake,
                           scope=stocktakes.scope_label(db.session, stocktake))


@bp.post("/stocktakes/<stocktake_id>/counts")
@allow(*BOOTH_STAFF)
def save_counts(stocktake_id: str):
    """The count form without JavaScript: every filled box is a count."""
    booth = current_booth()
    stocktake = stocktakes.get_stocktake(db.session, booth=booth, stocktake_id=stocktake_id)
    counts = []
    for line in stocktake.lines:
        value = _whole(request.form.get(f"counted-{line.product_id}"),
                       what=line.product.name, field=f"counted-{line.product_id}")
        if value is not None:
            counts.append({"product_id": line.product_id, "counted": value})
    if not counts:
        raise DomainError(_("Chưa nhập số đếm nào."), field="counts")
    stocktakes.record_counts(db.session, booth=booth, stocktake=stocktake, counts=counts,
                             by=current_user)
    db.session.commit()
    flash(_("Đã lưu %(n)d số đếm.", n=len(counts)), "info")
    return redirect(url_for("counts.stocktake_page", stocktake_id=stocktake.id), 303)


@bp.get("/stocktakes/<stocktake_id>/sheet.pdf")
@allow(*BOOTH_STAFF)
def count_sheet(stocktake_id: str):
    """The blind count sheet to print and write on."""
    booth = current_booth()
    stocktake = stocktakes.get_stocktake(db.session, booth=booth, stocktake_id=stocktake_id)
    pdf = stocktakes.count_sheet_pdf(db.session, booth=booth, stocktake=stocktake)
    return pdf, 200, {"Content-Type": "application/pdf",
                      "Content-Disposition": f'inline; filename="{stocktake.number}.pdf"'}


@bp.get("/stocktakes/<stocktake_id>/differences")
@allow(*MANAGERS)
def differences_page(stocktake_id: str):
    """The difference report (asked for, never on the count page) and the commit form."""
    booth = current_booth()
    stocktake = stocktakes.get_stocktake(db.session, booth=booth, stocktake_id=stocktake_id)
    report = stocktakes.stocktake_differences(db.session, booth=booth, stocktake=stocktake)
    return render_template("inventory/stocktake_differences.html", stocktake=stocktake,
                           report=report, scope=stocktakes.scope_label(db.session, stocktake))


@bp.post("/stocktakes/<stocktake_id>/commit")
@allow(*MANAGERS)
def commit_page(stocktake_id: str):
    """Book the differences with the manager's reason."""
    booth = current_booth()
    stocktake = stocktakes.get_stocktake(db.session, booth=booth, stocktake_id=stocktake_id)
    moves = stocktakes.commit_stocktake(db.session, booth=booth, stocktake=stocktake,
                                        reason=request.form.get("reason", ""), by=current_user)
    db.session.commit()
    flash(_("Đã chốt phiếu kiểm kê %(n)s: %(m)d điều chỉnh.", n=stocktake.number,
            m=len(moves)), "info")
    return redirect(url_for("counts.differences_page", stocktake_id=stocktake.id), 303)


# --- lots -----------------------------------------------------------------------------------


@bp.get("/lots")
@allow(*MANAGERS)
def lots_page():
    """Lots expiring within ``days`` (default 3) or expired, with their write-off buttons."""
    raw = request.args.get("days", "3")
    days = int(raw) if is_ascii_digits(raw) and len(raw) <= 3 else 3
    report = lot_service.expiring_lots(db.session, booth=current_booth(),
                                       days=min(days, lot_service.MAX_EXPIRING_DAYS))
    return render_template("inventory/lots.html", report=report)


@bp.post("/lots/<int:lot_id>/write-off")
@allow(*MANAGERS)
def write_off_page(lot_id: int):
    """Write off what is left of an expired lot."""
    booth = current_booth()
    lot = lot_service.get_lot(db.session, booth=booth, lot_id=lot_id)
    move = lot_service.write_off_lot(db.session, booth=booth, lot=lot, by=current_user)
    db.session.commit()
    flash(_("Đã hủy %(n)d %(unit)s “%(name)s” của lô %(lot)s hết hạn.", n=-move.qty,
            unit=lot.product.unit, name=lot.product.name, lot=lot.lot_code or lot.id), "info")
    return redirect(url_for("counts.lots_page"), 303)


# --- restock requests -----------------------------------------------------------------------


@bp.get("/restock")
@allow(*MANAGERS)
def restock_page():
    """Suggestions to pick from, and the latest requests with their state."""
    booth = current_booth()
    return render_template("inventory/restock.html",
                           suggestions=restock.restock_suggestions(db.session, booth=booth),
                           requests=restock.list_requests(db.session, booth=booth, limit=20),
                           request_id=str(uuid.uuid4()))


@bp.post("/restock")
@allow(*MANAGERS)
def create_restock_page():
    """Send the picked products and quantities to central (idempotent on the form's id)."""
    lines = []
    for key in request.form.getlist("pick"):
        if not is_ascii_digits(key):
            continue
        product_id = int(key)
        name = db.session.get(Product, product_id)
        qty = _whole(request.form.get(f"qty-{product_id}"),
                     what=name.name if name else key, field=f"qty-{product_id}")
        lines.append({"product_id": product_id, "qty": qty})
    request_id = request.form.get("request_id") or None
    row, created = restock.create_restock_request(
        db.session, booth=current_booth(), lines=lines, by=current_user,
        note=request.form.get("note", "").strip(),
        request_id=request_id if request_id and len(request_id) <= 36 else None)
    db.session.commit()
    if created:
        flash(_("Đã gửi yêu cầu %(n)s (%(k)d dòng); yêu cầu lên trung tâm ở lần đồng bộ "
                "tới.", n=row.number, k=len(row.lines)), "info")
    return redirect(url_for("counts.restock_page"), 303)
