"""Receipts from sales, and the print queue that delivers them.

A job is written in the same transaction as its sale, so a receipt is never lost; the
worker prints outside any write transaction (SQLite allows one writer, and a printer
timeout must not hold up the till) and retries failures with exponential backoff.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload, object_session

from core.enums import PrintJobKind, PrintJobState, SaleStatus, ShiftStatus
from core.errors import NotFound
from core.models import Booth, User
from core.services import record_audit
from core.types import utcnow
from core.workers import BackgroundWorker, wake_worker
from pos.counter import expected_cash_visible, shift_report
from pos.counter_models import Sale, Shift
from receipts.document import (
    ReceiptDocument,
    ReceiptLine,
    ReceiptPayment,
    Tally,
    ZReportDocument,
    vat_by_rate_from_lines,
)
from receipts.models import PrintJob
from receipts.printers import PrinterError, PrintSettings, render_job, send

SHOP_NAME = "Gian hàng OCOP Thanh Hóa"
MAX_ATTEMPTS = 8
MAX_BACKOFF = timedelta(minutes=5)
# How long a worker's claim on a job lasts; well above a printer's send timeout.
LEASE = timedelta(minutes=2)


def lookup_code(sale: Sale) -> str:
    """What the receipt's QR code says when nothing is left to pay: the receipt's id."""
    return f"OCOP-HD:{sale.number}:{sale.id}"


def receipt_document(sale: Sale) -> ReceiptDocument:
    """The printable receipt of a committed sale or refund, from its own snapshots, with
    each product's OCOP origin (producer, commune, district, stars)."""
    from inventory.models import Product

    session = object_session(sale)
    ids = {line.product_id for line in sale.lines}
    products = {p.id: p for p in session.scalars(
        select(Product).where(Product.id.in_(ids)).options(joinedload(Product.producer)))}
    lines = []
    for line in sale.lines:
        product = products[line.product_id]
        lines.append(ReceiptLine(
            name=line.name, qty=line.qty, unit_price=line.unit_price, amount=line.amount,
            discount=line.discount, vat_rate=line.vat_rate, producer=product.producer.name,
            commune=product.producer.commune, district=product.producer.district,
            stars=product.stars or 0))
    booth = sale.booth
    return ReceiptDocument(
        kind="void" if sale.status == SaleStatus.VOIDED else sale.kind, shop_name=SHOP_NAME,
        booth_code=booth.code, booth_name=booth.name, venue_name=booth.venue.name,
        address=booth.venue.address, tax_code=booth.tax_code, number=sale.number,
        issued_at=sale.created_at, cashier=sale.cashier.display_name, lines=lines,
        total=sale.total, vat_by_rate=vat_by_rate_from_lines(lines),
        payments=[ReceiptPayment(method=p.method, amount=p.amount, tendered=p.tendered,
                                 reference=p.reference) for p in sale.payments],
        change=sale.change, qr_payload=lookup_code(sale))


def zreport_document(shift: Shift, report: dict, *, viewer: User | None) -> ZReportDocument:
    """The printable Z-report of a closed shift, or X-report of an open one (no count
    yet); the expected cash only for those who may see it (``expected_cash_visible``)."""
    common = dict(
        shop_name=SHOP_NAME, booth_code=shift.booth.code, booth_name=shift.booth.name,
        cashier=shift.cashier.display_name, opened_at=shift.opened_at,
        closed_at=shift.closed_at or utcnow(), totals_by_method=report["totals_by_method"],
        vat_by_rate={int(rate): row["vat"] for rate, row in report["vat_by_rate"].items()},
        discounts=Tally(report["discounts"]["count"], report["discounts"]["amount"]),
        refunds=Tally(report["refunds"]["count"], report["refunds"]["amount"]),
        voids=Tally(report["voids"]["count"], report["voids"]["amount"]),
        opening_float=report["opening_float"], cash_in=report["cash_in"],
        cash_out=report["cash_out"])
    if shift.status == ShiftStatus.OPEN:
        visible = expected_cash_visible(shift, viewer)
        return ZReportDocument(**common, closed=False, counted_cash=None, difference=None,
                               expected_cash=report["expected_cash"] if visible else None)
    counted = report["counted_cash"] or 0
    return ZReportDocument(
        **common, expected_cash=report["expected_cash"], counted_cash=counted,
        difference=counted - report["expected_cash"],
        denominations={int(k): v for k, v in (report["counted_denominations"] or {}).items()})


def enqueue_receipt(session: Session, *, sale: Sale, by: User | None, reprint: bool = False,
                    reason: str = "") -> PrintJob:
    """Queue a sale's receipt; a reprint is audited (a second receipt is a fraud risk)."""
    job = PrintJob(booth_id=sale.booth_id, kind=PrintJobKind.RECEIPT, sale_id=sale.id,
                   reprint=reprint, requested_by_id=by.id if by else None)
    session.add(job)
    if reprint:
        record_audit(session, action="reprint", actor=by, booth=sale.booth,
                     target_type="sale", target_id=sale.id, reason=reason,
                     after={"number": sale.number})
    session.flush()
    return job


def enqueue_zreport(session: Session, *, shift: Shift, by: User | None) -> PrintJob:
    job = PrintJob(booth_id=shift.booth_id, kind=PrintJobKind.ZREPORT, shift_id=shift.id,
                   requested_by_id=by.id if by else None)
    session.add(job)
    session.flush()
    return job


def backoff(attempts: int) -> timedelta:
    """2, 4, 8 … seconds after each failure, never more than five minutes."""
    return min(timedelta(seconds=2 ** attempts), MAX_BACKOFF)


def due_jobs(session: Session, *, booth_id: int, now: datetime) -> list[PrintJob]:
    """Jobs to try now: waiting or failed ones whose time has come, and claimed ones
    whose lease ran out (the worker died or hung while printing them)."""
    return list(session.scalars(
        select(PrintJob).where(PrintJob.booth_id == booth_id,
                               PrintJob.state.in_(OPEN_STATES),
                               PrintJob.attempts < MAX_ATTEMPTS,
                               PrintJob.next_attempt_at <= now)
        .order_by(PrintJob.created_at)))


def _give_up_abandoned(session: Session, *, booth_id: int, now: datetime) -> None:
    """A claimed job whose lease ran out with no attempts left is failed, so it shows
    on the screen for a manual retry instead of staying "printing" forever."""
    for job in session.scalars(select(PrintJob).where(
            PrintJob.booth_id == booth_id, PrintJob.state == PrintJobState.PRINTING,
            PrintJob.attempts >= MAX_ATTEMPTS, PrintJob.next_attempt_at <= now)):
        job.state = PrintJobState.FAILED
        job.last_error = "Lệnh in bị dừng giữa chừng."
    session.commit()


def render_print_job(session: Session, job: PrintJob, settings: PrintSettings) -> bytes:
    """The bytes of a job for this printer, rendered from the committed records."""
    if job.kind == PrintJobKind.RECEIPT:  # the same kept bytes as the receipt's download
        from receipts.rendered import job_format, receipt_bytes

        sale = session.get(Sale, job.sale_id)
        return receipt_bytes(current_app, sale_id=sale.id, status=sale.status,
                             fmt=job_format(settings), settings=settings,
                             document=lambda: receipt_document(sale))[0]
    shift = session.get(Shift, job.shift_id)
    return render_job(settings, zreport_document(shift, shift_report(session, shift=shift),
                                                 viewer=job.requested_by))


def run_print_queue(session: Session, *, booth: Booth, settings: PrintSettings,
                    now: datetime | None = None, timeout: float = 5) -> list[PrintJob]:
    """Try every job that is due, one at a time; the boundary that commits, like a view.

    Each job: claim it (commit), render it and end the read (rollback), send it with no
    transaction open, then record the outcome (commit).
    """
    now = now or utcnow()
    if settings.target.kind == "none":
        settle_without_printer(session, booth_id=booth.id, now=now)
        return []
    tried = []
    _give_up_abandoned(session, booth_id=booth.id, now=now)
    for job_id in [job.id for job in due_jobs(session, booth_id=booth.id, now=now)]:
        job = session.get(PrintJob, job_id)
        # The claim is a lease: if this worker dies or hangs, the job is due again
        # once it runs out.
        job.state = PrintJobState.PRINTING
        job.attempts += 1
        job.next_attempt_at = now + LEASE
        session.commit()
        error = ""
        try:
            try:
                data = render_print_job(session, job, settings)
            finally:
                session.rollback()
            send(settings.target, data, timeout=timeout)
        except PrinterError as err:
            error = str(err)
        except Exception as err:  # any other failure is retried like a printer's
            logging.getLogger(__name__).exception("print job %s", job_id)
            error = f"Lỗi khi in: {type(err).__name__}: {err}"
        job = session.get(PrintJob, job_id)
        if error:
            job.state, job.last_error = PrintJobState.FAILED, error[:500]
            job.next_attempt_at = now + backoff(job.attempts)
        else:
            job.state, job.last_error, job.finished_at = PrintJobState.DONE, "", utcnow()
        session.commit()
        tried.append(job)
    return tried


NO_PRINTER_NOTE = "Không có máy in (OCOP_PRINTER=none): lệnh in được bỏ qua."


def settle_without_printer(session: Session, *, booth_id: int, now: datetime) -> int:
    """With no printer configured, close the booth's open jobs (one UPDATE, noted as
    skipped) so they do not pile up by the thousand while the booth sells without one.
    The worker calls it only when ``has_due_work`` found some, so an idle booth takes no
    write lock for it."""
    result = session.execute(
        update(PrintJob).where(PrintJob.booth_id == booth_id,
                               PrintJob.state.in_(OPEN_STATES))
        .values(state=PrintJobState.DONE, last_error=NO_PRINTER_NOTE, finished_at=now)
        .execution_options(synchronize_session=False))
    session.commit()
    return result.rowcount or 0


def has_due_work(session: Session, *, booth_id: int, now: datetime, no_printer: bool) -> bool:
    """One indexed read: is there any job to print (or, with no printer, to close)?"""
    where = [PrintJob.booth_id == booth_id, PrintJob.state.in_(OPEN_STATES)]
    if not no_printer:
        where.append(PrintJob.next_attempt_at <= now)
    return session.scalar(select(PrintJob.id).where(*where).limit(1)) is not None


def retry_job(session: Session, *, job_id: str, booth: Booth) -> PrintJob:
    """Put a failed job back at the front of the queue with a fresh set of attempts."""
    job = session.get(PrintJob, job_id)
    if job is None or job.booth_id != booth.id:
        raise NotFound(_("Không có lệnh in này."), code="unknown_print_job")
    if job.state != PrintJobState.DONE:
        job.state, job.attempts, job.next_attempt_at = PrintJobState.PENDING, 0, utcnow()
    session.flush()
    return job


OPEN_STATES = (PrintJobState.PENDING, PrintJobState.PRINTING, PrintJobState.FAILED)
MAX_FAILED_SHOWN = 50


def printer_status(session: Session, *, booth: Booth, settings: PrintSettings) -> dict:
    """What the cashier screen shows: the printer, jobs waiting, and the failures.

    Counted by SQL through the queue's index, and at most ``MAX_FAILED_SHOWN`` failures
    listed (oldest first, with ``failed_count`` for all), so the answer costs the same
    with ten jobs waiting or forty thousand."""
    counts = dict(session.execute(
        select(PrintJob.state, func.count()).where(PrintJob.booth_id == booth.id,
                                                  PrintJob.state.in_(OPEN_STATES))
        .group_by(PrintJob.state)).all())
    failed = session.execute(
        select(PrintJob, Sale.number).outerjoin(Sale, Sale.id == PrintJob.sale_id)
        .where(PrintJob.booth_id == booth.id, PrintJob.state == PrintJobState.FAILED)
        .order_by(PrintJob.created_at).limit(MAX_FAILED_SHOWN)).all()
    pending = counts.get(PrintJobState.PENDING, 0) + counts.get(PrintJobState.PRINTING, 0)
    return {
        "printer": settings.target.describe(), "kind": settings.target.kind,
        "mode": settings.mode, "paper_mm": settings.paper_mm,
        "state": ("none" if settings.target.kind == "none"
                  else "error" if failed else "busy" if pending else "ok"),
        "pending": pending,
        "failed": [job_to_json(job, number=number) for job, number in failed],
        "failed_count": counts.get(PrintJobState.FAILED, 0),
    }


_UNSET = object()


def job_to_json(job: PrintJob, *, number: str | None | object = _UNSET) -> dict:
    """A job as the API shows it; ``number`` is the sale's, when the caller has it."""
    if number is _UNSET:
        number = None
        if job.sale_id:
            sale = object_session(job).get(Sale, job.sale_id)
            number = sale.number if sale else None
    return {"id": job.id, "kind": job.kind, "sale_id": job.sale_id, "number": number,
            "shift_id": job.shift_id, "state": job.state, "attempts": job.attempts,
            "last_error": job.last_error, "reprint": job.reprint,
            "next_attempt_at": job.next_attempt_at.isoformat(),
            "created_at": job.created_at.isoformat()}


class PrintWorker(BackgroundWorker):
    """Prints the booth's queue: wakes on a new job or every few seconds."""

    name = "print_worker"

    def __init__(self, app: Flask, *, interval: float = 2.0):
        super().__init__(app, interval=interval)
        self.settings = PrintSettings.from_config(app.config)
        self._glyphs_drawn = False

    def stop(self, timeout: float = 10) -> None:
        super().stop(timeout)

    def current_settings(self, session, booth: Booth) -> PrintSettings:
        """The printer settings as the manager last saved them (``pos.booth_settings``),
        read on every round so a change on the printer page applies to the next job."""
        from pos.booth_settings import print_settings

        try:
            return print_settings(session, booth, self.app.config)
        except PrinterError:
            return self.settings

    def run_once(self) -> float:
        from core.extensions import db, sqlite_begin
        from pos.context import booth_by_code

        if not self._glyphs_drawn:  # once, in this thread, before the first sale
            from receipts.raster import warm_glyphs

            warm_glyphs(self.settings.paper_mm)
            self._glyphs_drawn = True

        with self.app.app_context():
            # Look first in a plain read transaction: an idle queue must not take
            # SQLite's write lock every few seconds from the tills.
            token = sqlite_begin.set("BEGIN")
            try:
                booth = booth_by_code(self.app.config["OCOP_BOOTH"])
                booth_id = booth.id
                settings = self.current_settings(db.session, booth)
                busy = has_due_work(db.session, booth_id=booth_id, now=utcnow(),
                                    no_printer=settings.target.kind == "none")
                db.session.rollback()
            finally:
                sqlite_begin.reset(token)
            if busy:
                run_print_queue(db.session, booth=db.session.get(Booth, booth_id),
                                settings=settings)
            db.session.remove()
        return self.interval


def wake_print_worker(app: Flask) -> None:
    wake_worker(app, PrintWorker.name)


def commit_and_print(session: Session, app: Flask | None = None) -> None:
    """Commit, then wake the print worker: a job is printable only once committed, and
    the worker need not wait for its next round to print it. (The sync worker wakes
    on every commit that moves the outbox, in ``sync.outbox``.)"""
    session.commit()
    wake_print_worker(app or current_app)
