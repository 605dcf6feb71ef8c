"""The office's settlement pages: terms with their history, a statement's preview, saving
and paying it, its PDF and CSV, and returns of unsold goods."""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from central import settlements as service
from core.auth import OFFICE, allow
from core.errors import DomainError
from core.extensions import db
from core.input import is_ascii_digits
from core.models import Booth, Venue
from inventory.models import Producer, Product
from inventory.warehouse import WAREHOUSE_CODE

bp = Blueprint("settlements", __name__, template_folder="templates")

PERCENT = re.compile(r"^\s*(\d{1,3})(?:[.,](\d{1,2}))?\s*%?\s*$")


def percent_to_bp(text: str, field: str = "rate") -> int:
    """``"12,5"`` → 1250 basis points, with no float on the way."""
    match = PERCENT.match(text or "")
    if match is None:
        raise DomainError(_("Tỷ lệ phải là phần trăm, ví dụ 15 hoặc 12,5."), field=field,
                          code="bad_rate")
    return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))


def _whole_or_text(text: str) -> int | str:
    """Form digits as an integer; anything else goes on as text, for the service to refuse
    in Vietnamese."""
    text = (text or "").strip().replace(".", "").replace(" ", "")
    return int(text) if is_ascii_digits(text) and len(text) < 16 else text


def _producers():
    return db.session.execute(select(Producer.id, Producer.name, Producer.district)
                              .order_by(Producer.district, Producer.name)).all()


def _producer_arg() -> int | None:
    value = request.args.get("producer", "")
    return int(value) if is_ascii_digits(value) and len(value) < 10 else None


@bp.get("/settlements")
@allow(*OFFICE)
def settlements_page():
    producer = _producer_arg()
    statement = None
    start, end = request.args.get("from"), request.args.get("to")
    if producer is not None and start and end:
        statement = service.preview_settlement(db.session, producer_id=producer,
                                               period_from=start, period_to=end)
    return render_template("central/settlements.html", producers=_producers(),
                           producer=producer, start=start or "", end=end or "",
                           statement=statement, saved=service.list_settlements(db.session),
                           today=service.today_in_vietnam())


@bp.post("/settlements")
@allow(*OFFICE)
def save_settlement_page():
    producer = request.form.get("producer_id", "")
    settlement = service.save_settlement(
        db.session, producer_id=int(producer) if is_ascii_digits(producer) and len(producer) < 10
        else producer, period_from=request.form.get("from"), period_to=request.form.get("to"),
        by=current_user)
    db.session.commit()
    flash(_("Đã lưu bảng quyết toán nháp %(n)s.", n=settlement.number), "info")
    return redirect(url_for("settlements.settlement_page", id=settlement.id), 303)


@bp.get("/settlements/<int:id>")
@allow(*OFFICE)
def settlement_page(id: int):
    settlement = service.get_settlement(db.session, id)
    return render_template("central/settlement.html", settlement=settlement,
                           statement=service.settlement_to_json(settlement),
                           today=service.today_in_vietnam())


@bp.post("/settlements/<int:id>/pay")
@allow(*OFFICE)
def pay_settlement_page(id: int):
    settlement = service.pay_settlement(
        db.session, settlement_id=id, amount=_whole_or_text(request.form.get("amount", "")),
        paid_on=request.form.get("paid_on"), reference=request.form.get("reference", ""),
        by=current_user)
    db.session.commit()
    flash(_("Đã ghi nhận thanh toán bảng quyết toán %(n)s.", n=settlement.number), "info")
    return redirect(url_for("settlements.settlement_page", id=id), 303)


@bp.get("/terms")
@allow(*OFFICE)
def terms_page():
    producer = _producer_arg()
    history = service.terms_history(db.session, producer_id=producer)
    products = db.session.execute(select(Product.id, Product.code, Product.name).where(
        Product.producer_id == producer).order_by(Product.code)).all() if producer else []
    names = dict(db.session.execute(select(Producer.id, Producer.name)).all())
    product_names = dict(db.session.execute(select(Product.id, Product.name)).all()) \
        if history["commission"] else {}
    venues = db.session.scalars(select(Venue).where(Venue.kind != "other")
                                .order_by(Venue.code)).all()
    return render_template("central/terms.html", history=history, producers=_producers(),
                           producer=producer, products=products, names=names,
                           product_names=product_names, venues=venues,
                           today=service.today_in_vietnam())


@bp.post("/terms/commission")
@allow(*OFFICE)
def add_commission_term_page():
    producer = _whole_or_text(request.form.get("producer_id", ""))
    product = request.form.get("product_id") or None
    service.add_commission_term(
        db.session, producer_id=producer, product_id=_whole_or_text(product) if product else None,
        rate_bp=percent_to_bp(request.form.get("rate", "")),
        effective_from=request.form.get("effective_from"), note=request.form.get("note", ""),
        by=current_user)
    db.session.commit()
    flash(_("Đã thêm điều khoản hoa hồng."), "info")
    return redirect(url_for("settlements.terms_page", producer=producer), 303)


@bp.post("/terms/host")
@allow(*OFFICE)
def add_host_term_page():
    kind = request.form.get("kind", "")
    service.add_host_term(
        db.session, venue_code=request.form.get("venue", ""), kind=kind,
        rate_bp=percent_to_bp(request.form.get("rate", "")) if kind == "commission" else 0,
        monthly_rent=_whole_or_text(request.form.get("monthly_rent", "")) if kind == "rent"
        else 0, effective_from=request.form.get("effective_from"),
        note=request.form.get("note", ""), by=current_user)
    db.session.commit()
    flash(_("Đã thêm điều khoản với điểm bán."), "info")
    return redirect(url_for("settlements.terms_page"), 303)


def _return_lines(text: str) -> list[dict]:
    """``code, qty`` per line, as the warehouse's quick forms take them."""
    lines = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in raw.replace(";", ",").split(",")]
        if len(parts) != 2 or not is_ascii_digits(parts[1]) or len(parts[1]) > 6:
            raise DomainError(_("Dòng %(n)d: cần “mã sản phẩm, số lượng”.", n=number),
                              field="lines")
        product_id = db.session.scalar(select(Product.id).where(
            Product.code == parts[0].upper()[:30]))
        if product_id is None:
            raise DomainError(_("Dòng %(n)d: không có sản phẩm mã %(c)s.", n=number,
                                c=parts[0][:30]), field="lines")
        lines.append({"product_id": product_id, "qty": int(parts[1])})
    return lines


@bp.get("/producer-returns")
@allow(*OFFICE)
def returns_page():
    booths = db.session.scalars(select(Booth.code).where(Booth.kind == "booth")
                                .order_by(Booth.code)).all()
    names = dict(db.session.execute(select(Producer.id, Producer.name)).all())
    return render_template("central/settlement_returns.html", producers=_producers(),
                           booths=booths, warehouse=WAREHOUSE_CODE, names=names,
                           returns=service.list_producer_returns(db.session))


@bp.post("/producer-returns")
@allow(*OFFICE)
def create_return_page():
    document = service.return_to_producer(
        db.session, producer_id=_whole_or_text(request.form.get("producer_id", "")),
        location=request.form.get("location"),
        lines=_return_lines(request.form.get("lines", "")),
        note=request.form.get("note", ""), by=current_user)
    db.session.commit()
    flash(_("Đã lập phiếu trả hàng %(n)s.", n=document.number), "info")
    return redirect(url_for("settlements.returns_page"), 303)
