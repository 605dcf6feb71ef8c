"""Consignment settlements as JSON (contract: ``GET /settlements?producer=&from=&to=``),
with the terms they are computed from and the returns of unsold goods they show."""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask_babel import gettext as _
from flask_login import current_user

from central import schemas
from central import settlements as service
from core.auth import OFFICE, allow
from core.errors import DomainError
from core.extensions import db
from core.input import is_ascii_digits, takes

bp = Blueprint("settlements_api", __name__, url_prefix="/api/v1")

FORMATS = ("json", "pdf", "csv")


def _int_arg(name: str) -> int | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if not is_ascii_digits(value) or len(value) > 9:
        raise DomainError(_("Tham số %(n)s phải là một mã số.", n=name), field=name,
                          code="invalid")
    return int(value)


def _format() -> str:
    fmt = request.args.get("format", "json")
    if fmt not in FORMATS:
        raise DomainError(_("Định dạng phải là json, pdf hoặc csv."), field="format",
                          code="bad_format")
    return fmt


def _document(statement: dict, fmt: str):
    """The statement in the asked format, named after the producer and period."""
    if fmt == "json":
        return statement
    name = f"quyet-toan-{statement['producer']['id']}-{statement['from']}-{statement['to']}"
    if fmt == "csv":
        return Response(service.statement_csv(statement), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    from central.settlement_pdf import statement_pdf

    return Response(statement_pdf(statement), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})


@bp.get("/settlements")
@allow(*OFFICE)
def list_settlements():
    """A producer's statement for a period (``producer``, ``from``, ``to``; ``format`` json,
    pdf or csv), computed now and written nowhere; without ``producer``, the saved ones."""
    producer = _int_arg("producer")
    fmt = _format()
    if producer is None:
        return {"settlements": service.list_settlements(db.session)}
    statement = service.preview_settlement(db.session, producer_id=producer,
                                           period_from=request.args.get("from"),
                                           period_to=request.args.get("to"))
    return _document(statement, fmt)


@bp.post("/settlements")
@allow(*OFFICE)
@takes(schemas.SettlementIn)
def create_settlement(body: schemas.SettlementIn):
    """Save a producer's statement for a period as a draft ``{producer_id, from, to}``."""
    settlement = service.save_settlement(db.session, producer_id=body.producer_id,
                                         period_from=body.period_from,
                                         period_to=body.period_to, by=current_user)
    answer = service.settlement_to_json(settlement)
    db.session.commit()
    return answer, 201


@bp.get("/settlements/<int:id>")
@allow(*OFFICE)
def get_settlement(id: int):
    """A saved settlement as it was computed (``format`` json, pdf or csv)."""
    fmt = _format()
    return _document(service.settlement_to_json(service.get_settlement(db.session, id)), fmt)


@bp.post("/settlements/<int:id>/pay")
@allow(*OFFICE)
@takes(schemas.SettlementPaymentIn)
def pay_settlement(id: int, body: schemas.SettlementPaymentIn):
    """Mark a draft paid ``{amount, paid_on, reference}``; its lines are locked."""
    settlement = service.pay_settlement(db.session, settlement_id=id, amount=body.amount,
                                        paid_on=body.paid_on,
                                        reference=body.reference, by=current_user)
    answer = service.settlement_to_json(settlement)
    db.session.commit()
    return answer


@bp.get("/settlement-terms")
@allow(*OFFICE)
def list_terms():
    """Every commission and host term with its history (``producer`` to filter)."""
    return service.terms_history(db.session, producer_id=_int_arg("producer"))


@bp.post("/settlement-terms/commission")
@allow(*OFFICE)
@takes(schemas.CommissionTermIn)
def create_commission_term(body: schemas.CommissionTermIn):
    """The showroom's rate ``{producer_id, product_id?, rate_bp, effective_from, note?}``."""
    term = service.add_commission_term(
        db.session, producer_id=body.producer_id, product_id=body.product_id,
        rate_bp=body.rate_bp, effective_from=body.effective_from,
        note=str(body.note or ""), by=current_user)
    answer = service.commission_term_to_json(term)
    db.session.commit()
    return answer, 201


@bp.post("/settlement-terms/host")
@allow(*OFFICE)
@takes(schemas.HostTermIn)
def create_host_term(body: schemas.HostTermIn):
    """A venue's cut ``{venue, kind: commission|rent, rate_bp | monthly_rent,
    effective_from, note?}``."""
    term = service.add_host_term(
        db.session, venue_code=body.venue, kind=body.kind,
        rate_bp=body.rate_bp, monthly_rent=body.monthly_rent,
        effective_from=body.effective_from, note=str(body.note or ""),
        by=current_user)
    answer = service.host_term_to_json(
        term, {term.venue_id: db.session.get(service.Venue, term.venue_id).code})
    db.session.commit()
    return answer, 201


@bp.get("/producer-returns")
@allow(*OFFICE)
def list_producer_returns():
    """Returns of unsold goods to producers, newest first (``producer`` to filter)."""
    return {"returns": service.list_producer_returns(db.session,
                                                     producer_id=_int_arg("producer"))}


@bp.post("/producer-returns")
@allow(*OFFICE)
@takes(schemas.ProducerReturnIn)
def create_producer_return(body: schemas.ProducerReturnIn):
    """Return unsold goods ``{producer_id, location, lines: [{product_id, qty}], note}``."""
    document = service.return_to_producer(
        db.session, producer_id=body.producer_id, location=body.location,
        lines=body.lines, note=str(body.note or ""), by=current_user)
    answer = service.producer_return_to_json(
        document, location=db.session.get(service.Booth, document.booth_id).code)
    db.session.commit()
    return answer, 201
