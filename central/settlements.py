"""Consignment settlements: commission terms, the rates frozen on each sale line, a
producer's statement for a period, paying it (which locks its lines) and returning unsold
goods to the producer.

The rules, and why:

* Rates are integer basis points (1 500 = 15 %) and each line's commission is rounded half
  up to the đồng on its own, so every figure is an exact integer a test can recompute.
* A line belongs to the period holding its sale's business day (``created_at`` in
  Asia/Ho_Chi_Minh); a refund line to its own day, at its original's rates.
* A paid settlement never changes. A line that reaches central after its period was paid
  (an offline booth, a late refund) is carried into the producer's next settlement, and a
  paid sale voided afterwards is subtracted there.
* A host venue on rent takes nothing per sale: the rent is the showroom's cost, not the
  producer's, so it is shown but never charged in a settlement.
"""

from __future__ import annotations

import csv
import io
from bisect import bisect_right
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from central.models import (
    HOST_TERM_KINDS,
    CommissionTerm,
    HostTerm,
    ProducerReturn,
    ProducerReturnLine,
    Settlement,
    SettlementLine,
)
from core.enums import SaleKind, SaleStatus, StockMoveKind
from core.errors import Conflict, DomainError, NotFound
from core.models import Booth, User, Venue
from core.money import format_vnd
from core.types import utcnow
from inventory.models import (
    ConsignmentIntake,
    ConsignmentLine,
    Producer,
    Product,
    StockLevel,
    StockMove,
)
from pos.counter import BUSINESS_TZ
from pos.counter_models import Sale, SaleLine

FULL_RATE_BP = 10_000
MAX_PERIOD_DAYS = 366
MAX_RETURN_LINES = 500
MAX_RETURN_QTY = 100_000
MAX_RENT = 10_000_000_000
WAREHOUSE_LOCATIONS = ("warehouse", "kho")


# --- small rules ------------------------------------------------------------------------------


def commission(amount: int, rate_bp: int) -> int:
    """``amount × rate`` rounded half up to the đồng, symmetric for negative amounts (a
    refund takes back exactly what its sale gave)."""
    magnitude = (abs(amount) * rate_bp * 2 + FULL_RATE_BP) // (2 * FULL_RATE_BP)
    return magnitude if amount >= 0 else -magnitude


def local_day(moment: datetime) -> date:
    """The business day (Asia/Ho_Chi_Minh) a moment falls on."""
    return moment.astimezone(BUSINESS_TZ).date()


def period_bounds(period_from: date, period_to: date) -> tuple[datetime, datetime]:
    """The UTC instants [start, end) of business days ``period_from``..``period_to``."""
    start = datetime.combine(period_from, time(), BUSINESS_TZ)
    end = datetime.combine(period_to + timedelta(days=1), time(), BUSINESS_TZ)
    return start, end


def today_in_vietnam() -> date:
    return local_day(utcnow())


def parse_date(text: object, *, field: str, allow_future: bool = False) -> date:
    """A ``YYYY-MM-DD`` business day with a Vietnamese reason when it is not one."""
    if text is None or text == "":
        raise DomainError(_("Cần chọn ngày %(f)s (YYYY-MM-DD).", f=field), field=field,
                          code="required")
    day = None
    if isinstance(text, str) and len(text) == 10:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            day = None
    if day is None:
        raise DomainError(_("Ngày không hợp lệ: %(d)s (cần dạng YYYY-MM-DD).",
                            d=str(text)[:20]), field=field, code="bad_date")
    if not allow_future and day > today_in_vietnam():
        raise DomainError(_("Ngày %(d)s chưa tới.", d=day.strftime("%d/%m/%Y")), field=field,
                          code="future_date")
    return day


def parse_period(period_from: object, period_to: object) -> tuple[date, date]:
    """A settlement period: two past-or-today days in order, at most a year long."""
    start = parse_date(period_from, field="from")
    end = parse_date(period_to, field="to")
    if start > end:
        raise DomainError(_("Ngày bắt đầu phải trước hoặc bằng ngày kết thúc."), field="from",
                          code="bad_period")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise DomainError(_("Một kỳ quyết toán dài tối đa %(n)d ngày.", n=MAX_PERIOD_DAYS),
                          field="to", code="bad_period")
    return start, end


def whole(value: object, *, field: str, minimum: int, maximum: int, message: str) -> int:
    """An integer within bounds (never a bool, a float or a string)."""
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= maximum:
        raise DomainError(message, field=field, code="bad_number")
    return value


def get_producer(session: Session, producer_id: object) -> Producer:
    producer = session.get(Producer, producer_id) if isinstance(producer_id, int) \
        and not isinstance(producer_id, bool) else None
    if producer is None:
        raise NotFound(_("Không có chủ thể mã số %(id)s.", id=str(producer_id)[:20]),
                       field="producer_id", code="unknown_producer")
    return producer


# --- terms ------------------------------------------------------------------------------------


class RateBook:
    """The commission terms of some producers and venues, loaded once, answering "which
    rate was in force on that day" in memory (the ingest asks for every line of a batch)."""

    def __init__(self, session: Session, *, product_ids, venue_ids):
        product_ids = [p for p in product_ids if isinstance(p, int)]
        self.producer_of = dict(session.execute(select(Product.id, Product.producer_id).where(
            Product.id.in_(product_ids))).all()) if product_ids else {}
        self._showroom: dict[tuple[int, int | None], tuple[list[date], list[int]]] = {}
        producers = set(self.producer_of.values())
        if producers:
            terms = session.scalars(select(CommissionTerm).where(
                CommissionTerm.producer_id.in_(producers)).order_by(
                CommissionTerm.effective_from, CommissionTerm.id))
            for term in terms:
                days, rates = self._showroom.setdefault((term.producer_id, term.product_id),
                                                        ([], []))
                days.append(term.effective_from)
                rates.append(term.rate_bp)
        self._host: dict[int, tuple[list[date], list[HostTerm]]] = {}
        venue_ids = [v for v in venue_ids if v is not None]
        if venue_ids:
            for term in session.scalars(select(HostTerm).where(HostTerm.venue_id.in_(
                    venue_ids)).order_by(HostTerm.effective_from, HostTerm.id)):
                days, terms = self._host.setdefault(term.venue_id, ([], []))
                days.append(term.effective_from)
                terms.append(term)

    @staticmethod
    def _in_force(history, day: date):
        if history is None:
            return None
        days, values = history
        index = bisect_right(days, day)  # the last term that began on or before the day
        return values[index - 1] if index else None

    def showroom_bp(self, product_id: int, day: date) -> int | None:
        """The product's own rate if one is in force, else its producer's; None: no term."""
        producer = self.producer_of.get(product_id)
        own = self._in_force(self._showroom.get((producer, product_id)), day)
        return own if own is not None else self._in_force(
            self._showroom.get((producer, None)), day)

    def host_term(self, venue_id: int, day: date) -> HostTerm | None:
        return self._in_force(self._host.get(venue_id), day)

    def host_bp(self, venue_id: int, day: date) -> int | None:
        """The host's commission; 0 for a venue on rent; None: no term."""
        term = self.host_term(venue_id, day)
        return None if term is None else term.rate_bp


def snapshot_rates(session: Session, *, rates: RateBook | None, kind: str, refund_of: str | None,
                   venue_id: int, created: datetime, pending: list[dict]):
    """The rates to freeze on a sale's lines at ingest, as ``product_id → {columns}``: those
    in force at ``created`` for a sale, the original lines' for a refund (looked up in the
    rows still ``pending`` in the batch, then in the database)."""
    if kind == SaleKind.REFUND:
        originals: dict[int, dict] = {}
        for row in pending:
            if row["sale_id"] == refund_of:
                originals.setdefault(row["product_id"], {
                    "showroom_rate_bp": row.get("showroom_rate_bp"),
                    "host_rate_bp": row.get("host_rate_bp")})
        if not originals:
            for product_id, showroom, host in session.execute(
                    select(SaleLine.product_id, SaleLine.showroom_rate_bp, SaleLine.host_rate_bp)
                    .where(SaleLine.sale_id == refund_of).order_by(SaleLine.position)):
                originals.setdefault(product_id, {"showroom_rate_bp": showroom,
                                                  "host_rate_bp": host})
        empty = {"showroom_rate_bp": None, "host_rate_bp": None}
        return lambda product_id: originals.get(product_id, empty)
    day = local_day(created)
    host = rates.host_bp(venue_id, day)
    return lambda product_id: {"showroom_rate_bp": rates.showroom_bp(product_id, day),
                               "host_rate_bp": host}


def add_commission_term(session: Session, *, producer_id: object, product_id: object,
                        rate_bp: object, effective_from: object, by: User,
                        note: str = "") -> CommissionTerm:
    """A new showroom rate for a producer (or one of its products) from a day on; the
    rows before it stay as history and lines already sold keep their own rates."""
    producer = get_producer(session, producer_id)
    if product_id is not None:
        product = session.get(Product, product_id) if isinstance(product_id, int) \
            and not isinstance(product_id, bool) else None
        if product is None or product.producer_id != producer.id:
            raise DomainError(_("Sản phẩm %(id)s không phải của chủ thể này.",
                                id=str(product_id)[:20]), field="product_id",
                              code="unknown_product")
    rate = whole(rate_bp, field="rate_bp", minimum=0, maximum=FULL_RATE_BP,
                 message=_("Tỷ lệ hoa hồng phải là số nguyên điểm cơ bản từ 0 đến 10.000 "
                           "(1.500 = 15%)."))
    day = parse_date(effective_from, field="effective_from", allow_future=True)
    term = CommissionTerm(producer_id=producer.id, product_id=product_id, rate_bp=rate,
                          effective_from=day, created_by=by.username, note=(note or "")[:300])
    session.add(term)
    session.flush()
    return term


def add_host_term(session: Session, *, venue_code: object, kind: object, rate_bp: object,
                  monthly_rent: object, effective_from: object, by: User,
                  note: str = "") -> HostTerm:
    """A new deal with a host venue from a day on: its commission, or a monthly rent."""
    venue = session.scalar(select(Venue).where(Venue.code == str(venue_code or "").strip()
                                               .upper()[:20]))
    if venue is None:
        raise NotFound(_("Không có điểm bán %(c)s.", c=str(venue_code)[:20]), field="venue",
                       code="unknown_venue")
    if kind not in HOST_TERM_KINDS:
        raise DomainError(_("Hình thức phải là hoa hồng (commission) hoặc tiền thuê (rent)."),
                          field="kind", code="bad_kind")
    rate = rent = 0
    if kind == "commission":
        rate = whole(rate_bp, field="rate_bp", minimum=0, maximum=FULL_RATE_BP,
                     message=_("Tỷ lệ hoa hồng phải là số nguyên điểm cơ bản từ 0 đến 10.000 "
                               "(1.500 = 15%)."))
    else:
        rent = whole(monthly_rent, field="monthly_rent", minimum=0, maximum=MAX_RENT,
                     message=_("Tiền thuê tháng phải là số nguyên đồng không âm."))
    day = parse_date(effective_from, field="effective_from", allow_future=True)
    term = HostTerm(venue_id=venue.id, kind=kind, rate_bp=rate, monthly_rent=rent,
                    effective_from=day, created_by=by.username, note=(note or "")[:300])
    session.add(term)
    session.flush()
    return term


def commission_term_to_json(term: CommissionTerm) -> dict:
    return {"id": term.id, "producer_id": term.producer_id, "product_id": term.product_id,
            "rate_bp": term.rate_bp, "effective_from": term.effective_from.isoformat(),
            "created_at": term.created_at.isoformat(), "created_by": term.created_by,
            "note": term.note}


def host_term_to_json(term: HostTerm, venues: dict[int, str]) -> dict:
    return {"id": term.id, "venue": venues.get(term.venue_id), "kind": term.kind,
            "rate_bp": term.rate_bp, "monthly_rent": term.monthly_rent,
            "effective_from": term.effective_from.isoformat(),
            "created_at": term.created_at.isoformat(), "created_by": term.created_by,
            "note": term.note}


def terms_history(session: Session, *, producer_id: int | None = None) -> dict:
    """Every term ever entered, newest first, with the one in force today marked."""
    today = today_in_vietnam()
    query = select(CommissionTerm).order_by(CommissionTerm.effective_from.desc(),
                                            CommissionTerm.id.desc())
    if producer_id is not None:
        query = query.where(CommissionTerm.producer_id == producer_id)
    commission_rows = list(session.scalars(query))
    in_force: set[int] = set()
    seen: set[tuple] = set()
    for term in commission_rows:
        key = (term.producer_id, term.product_id)
        if term.effective_from <= today and key not in seen:
            seen.add(key)
            in_force.add(term.id)
    venues = dict(session.execute(select(Venue.id, Venue.code)).all())
    host_rows = list(session.scalars(select(HostTerm).order_by(
        HostTerm.venue_id, HostTerm.effective_from.desc(), HostTerm.id.desc())))
    seen_venues: set[int] = set()
    for term in host_rows:
        if term.effective_from <= today and term.venue_id not in seen_venues:
            seen_venues.add(term.venue_id)
            in_force.add(-term.id)
    return {
        "commission": [commission_term_to_json(t) | {"in_force": t.id in in_force}
                       for t in commission_rows],
        "hosts": [host_term_to_json(t, venues) | {"in_force": -t.id in in_force}
                  for t in host_rows],
    }


# --- the statement ----------------------------------------------------------------------------


def _paid_settlements(session: Session, producer_id: int) -> list[Settlement]:
    return list(session.scalars(select(Settlement).where(
        Settlement.producer_id == producer_id, Settlement.status == "paid")
        .order_by(Settlement.period_from)))


def _refuse_overlap(paid: list[Settlement], period_from: date, period_to: date,
                    *, other_than: int | None = None) -> None:
    for settlement in paid:
        if settlement.id != other_than and settlement.period_from <= period_to \
                and settlement.period_to >= period_from:
            raise Conflict(_("Kỳ %(a)s–%(b)s trùng với bảng quyết toán %(n)s đã thanh toán "
                             "(%(c)s–%(d)s). Chọn kỳ sau ngày %(d)s.",
                             a=period_from.strftime("%d/%m/%Y"),
                             b=period_to.strftime("%d/%m/%Y"), n=settlement.number,
                             c=settlement.period_from.strftime("%d/%m/%Y"),
                             d=settlement.period_to.strftime("%d/%m/%Y")),
                           field="from", code="period_settled")


def _line_query(producer_id: int):
    original = aliased(Sale)
    return (select(SaleLine.id, SaleLine.product_id, SaleLine.qty, SaleLine.amount,
                   SaleLine.showroom_rate_bp, SaleLine.host_rate_bp, Sale.kind, Sale.created_at,
                   Sale.booth_id, Booth.venue_id, original.created_at.label("sold_at"))
            .join(Sale, Sale.id == SaleLine.sale_id)
            .join(Product, Product.id == SaleLine.product_id)
            .join(Booth, Booth.id == Sale.booth_id)
            .outerjoin(original, original.id == Sale.refund_of_id)
            .where(Product.producer_id == producer_id))


def _locked(role: str):
    return exists().where(SettlementLine.sale_line_id == SaleLine.id,
                          SettlementLine.role == role, SettlementLine.locked.is_(True))


def _covered_lines(session: Session, producer_id: int, start: datetime, end: datetime,
                   paid: list[Settlement], period_from: date) -> list[tuple[str, object]]:
    """(role, row) of every line this period settles: its own days' lines, the lines of
    earlier paid periods that arrived after the payment, and paid sales voided since."""
    base = _line_query(producer_id)
    rows = [("line", r) for r in session.execute(base.where(
        Sale.status == SaleStatus.COMPLETED, Sale.created_at >= start, Sale.created_at < end,
        ~_locked("line")))]
    earlier = [s for s in paid if s.period_to < period_from]
    if earlier:
        ranges = [and_(Sale.created_at >= a, Sale.created_at < b)
                  for a, b in (period_bounds(s.period_from, s.period_to) for s in earlier)]
        rows += [("line", r) for r in session.execute(base.where(
            Sale.status == SaleStatus.COMPLETED, Sale.created_at < start, ~_locked("line"),
            or_(*ranges)))]
        paid_line = exists().where(
            SettlementLine.sale_line_id == SaleLine.id, SettlementLine.role == "line",
            SettlementLine.locked.is_(True),
            SettlementLine.settlement_id.in_([s.id for s in earlier]))
        rows += [("void", r) for r in session.execute(base.where(
            Sale.status == SaleStatus.VOIDED, paid_line, ~_locked("void")))]
    return rows


def _items(session: Session, producer_id: int, rows, start: datetime) -> tuple[list[dict],
                                                                                list[str]]:
    """Each covered line as the signed figures it adds, rates from the line (or, for lines
    sold before any term was entered, from the terms in force on their day)."""
    book = None
    missing_snapshot = missing_term = 0
    items = []
    for role, r in rows:
        sign = -1 if r.kind == SaleKind.REFUND else 1
        if role == "void":
            sign = -sign
        showroom, host = r.showroom_rate_bp, r.host_rate_bp
        if showroom is None or host is None:
            missing_snapshot += 1
            if book is None:
                book = RateBook(session, product_ids=[i.product_id for _r, i in rows],
                                venue_ids={i.venue_id for _r, i in rows})
            day = local_day(r.sold_at or r.created_at)
            if showroom is None:
                showroom = book.showroom_bp(r.product_id, day)
            if host is None:
                host = book.host_bp(r.venue_id, day)
            if showroom is None or host is None:
                missing_term += 1
            showroom, host = showroom or 0, host or 0
        amount = sign * r.amount
        items.append({"sale_line_id": r.id, "role": role, "booth_id": r.booth_id,
                      "product_id": r.product_id, "qty": sign * r.qty, "amount": amount,
                      "showroom_rate_bp": showroom, "host_rate_bp": host,
                      "showroom_commission": commission(amount, showroom),
                      "host_commission": commission(amount, host),
                      "carried": role == "void" or r.created_at < start})
    warnings = []
    if missing_snapshot:
        warnings.append(_("%(n)d dòng bán chưa được ghi tỷ lệ hoa hồng lúc bán: tính theo điều "
                          "khoản có hiệu lực vào ngày bán.", n=missing_snapshot))
    if missing_term:
        warnings.append(_("%(n)d dòng bán không có điều khoản hoa hồng nào: tính 0%%.",
                          n=missing_term))
    return items, warnings


def _money(target: dict, item: dict) -> None:
    target["gross"] += item["amount"]
    target["showroom_commission"] += item["showroom_commission"]
    target["host_commission"] += item["host_commission"]
    target["payable"] += item["amount"] - item["showroom_commission"] - item["host_commission"]


def _zero(**extra) -> dict:
    return extra | {"sold": 0, "gross": 0, "showroom_commission": 0, "host_commission": 0,
                    "payable": 0}


def compute_statement(session: Session, *, producer: Producer, period_from: date,
                      period_to: date) -> tuple[dict, list[dict]]:
    """The producer's statement for the period and the sale lines it covers.

    Refuses a period overlapping a paid settlement (409). A producer with nothing sold
    gets a zero statement with a message, not an error."""
    paid = _paid_settlements(session, producer.id)
    _refuse_overlap(paid, period_from, period_to)
    start, end = period_bounds(period_from, period_to)
    items, warnings = _items(session, producer.id,
                             _covered_lines(session, producer.id, start, end, paid, period_from),
                             start)
    products: dict[int, dict] = {}
    booths: dict[int, dict] = {}
    rows: dict[tuple, dict] = {}

    def product(pid: int) -> dict:
        return products.setdefault(pid, _zero(product_id=pid, received=0, returned=0,
                                              on_hand=0))

    def booth(bid: int) -> dict:
        return booths.setdefault(bid, _zero(booth_id=bid, returned=0, on_hand=0))

    carried = {"lines": 0, "gross": 0, "payable": 0}
    for item in items:
        key = (item["booth_id"], item["product_id"], item["showroom_rate_bp"],
               item["host_rate_bp"])
        row = rows.setdefault(key, _zero(booth_id=key[0], product_id=key[1],
                                         showroom_rate_bp=key[2], host_rate_bp=key[3]))
        for target in (row, product(item["product_id"]), booth(item["booth_id"])):
            target["sold"] += item["qty"]
            _money(target, item)
        if item["carried"]:
            carried["lines"] += 1
            carried["gross"] += item["amount"]
            carried["payable"] += (item["amount"] - item["showroom_commission"]
                                   - item["host_commission"])

    intakes = []
    for number, received_at, pid, qty in session.execute(
            select(ConsignmentIntake.number, ConsignmentIntake.received_at,
                   ConsignmentLine.product_id, ConsignmentLine.qty)
            .join(ConsignmentLine, ConsignmentLine.intake_id == ConsignmentIntake.id)
            .where(ConsignmentIntake.producer_id == producer.id,
                   ConsignmentIntake.received_at >= start, ConsignmentIntake.received_at < end)
            .order_by(ConsignmentIntake.received_at, ConsignmentLine.position)):
        product(pid)["received"] += qty
        if not intakes or intakes[-1]["number"] != number:
            intakes.append({"number": number, "received_at": received_at.isoformat(), "qty": 0})
        intakes[-1]["qty"] += qty

    returns = []
    for doc_id, bid, returned_at, pid, qty in session.execute(
            select(ProducerReturn.id, ProducerReturn.booth_id, ProducerReturn.returned_at,
                   ProducerReturnLine.product_id, ProducerReturnLine.qty)
            .join(ProducerReturnLine, ProducerReturnLine.return_id == ProducerReturn.id)
            .where(ProducerReturn.producer_id == producer.id,
                   ProducerReturn.returned_at >= start, ProducerReturn.returned_at < end)
            .order_by(ProducerReturn.id, ProducerReturnLine.position)):
        product(pid)["returned"] += qty
        booth(bid)["returned"] += qty
        number = f"TH-{doc_id:05d}"
        if not returns or returns[-1]["number"] != number:
            returns.append({"number": number, "booth_id": bid,
                            "returned_at": returned_at.isoformat(), "qty": 0})
        returns[-1]["qty"] += qty

    for bid, pid, qty in session.execute(
            select(StockMove.booth_id, StockMove.product_id, func.sum(StockMove.qty))
            .join(Product, Product.id == StockMove.product_id)
            .where(Product.producer_id == producer.id, StockMove.at < end)
            .group_by(StockMove.booth_id, StockMove.product_id)):
        if qty:
            product(pid)["on_hand"] += int(qty)
            booth(bid)["on_hand"] += int(qty)

    catalogue = {p.id: p for p in session.scalars(select(Product).where(
        Product.id.in_(list(products))))} if products else {}
    places = {b.id: b for b in session.scalars(select(Booth).where(
        Booth.id.in_(list(booths))))} if booths else {}
    venues = {v.id: v for v in session.scalars(select(Venue).where(
        Venue.id.in_({b.venue_id for b in places.values()})))} if places else {}

    def named_product(entry: dict) -> dict:
        item = catalogue[entry["product_id"]]
        return entry | {"code": item.code, "name": item.name, "unit": item.unit}

    def named_booth(entry: dict) -> dict:
        place = places[entry.pop("booth_id")]
        return entry | {"booth": place.code, "kind": place.kind,
                        "venue": venues[place.venue_id].name}

    host_rents = []
    book = RateBook(session, product_ids=[], venue_ids=list(venues))
    for venue in sorted(venues.values(), key=lambda v: v.code):
        term = book.host_term(venue.id, period_to)
        if term is not None and term.kind == "rent":
            host_rents.append({"venue": venue.name, "monthly_rent": term.monthly_rent})

    totals = _zero(received=0, returned=0, on_hand=0)
    for entry in products.values():
        for key in totals:
            totals[key] += entry[key]
    statement = {
        "id": None, "number": None, "status": "preview",
        "producer": {"id": producer.id, "name": producer.name, "district": producer.district},
        "from": period_from.isoformat(), "to": period_to.isoformat(),
        "totals": totals,
        "products": sorted((named_product(p) for p in products.values()),
                           key=lambda p: p["code"]),
        "booths": sorted((named_booth(b) for b in booths.values()),
                         key=lambda b: (b["kind"] != "warehouse", b["booth"])),
        "rows": sorted(({**named_booth(r), "code": catalogue[r["product_id"]].code,
                         "name": catalogue[r["product_id"]].name} for r in rows.values()),
                       key=lambda r: (r["booth"], r["code"], r["showroom_rate_bp"],
                                      r["host_rate_bp"])),
        "intakes": intakes,
        "returns": [r | {"location": places[r.pop("booth_id")].code} for r in returns],
        "carried": carried,
        "host_rents": host_rents,
        "warnings": warnings,
        "message": "" if items else _(
            "Chủ thể %(p)s không có hàng bán trong kỳ %(a)s–%(b)s: số tiền phải trả 0 ₫.",
            p=producer.name or producer.district, a=period_from.strftime("%d/%m/%Y"),
            b=period_to.strftime("%d/%m/%Y")),
    }
    return statement, items


def preview_settlement(session: Session, *, producer_id: object, period_from: object,
                       period_to: object) -> dict:
    """The statement as it would be settled today, writing nothing."""
    producer = get_producer(session, producer_id)
    start, end = parse_period(period_from, period_to)
    return compute_statement(session, producer=producer, period_from=start, period_to=end)[0]


def _lock_producer(session: Session, producer_id: int) -> None:
    """Serialise saving and paying one producer's settlements (PostgreSQL row lock; SQLite
    writes are serial already)."""
    session.execute(select(Producer.id).where(Producer.id == producer_id).with_for_update())


def save_settlement(session: Session, *, producer_id: object, period_from: object,
                    period_to: object, by: User) -> Settlement:
    """Keep the statement as a draft with the lines it covers; nothing is locked until it
    is paid."""
    producer = get_producer(session, producer_id)
    start, end = parse_period(period_from, period_to)
    _lock_producer(session, producer.id)
    statement, items = compute_statement(session, producer=producer, period_from=start,
                                         period_to=end)
    if not items:
        raise DomainError(statement["message"] + " " + _("Không có gì để quyết toán."),
                          field="producer_id", code="nothing_to_settle")
    totals = statement["totals"]
    settlement = Settlement(producer_id=producer.id, period_from=start, period_to=end,
                            status="draft", gross=totals["gross"],
                            showroom_commission=totals["showroom_commission"],
                            host_commission=totals["host_commission"],
                            payable=totals["payable"], statement=statement,
                            created_by=by.username)
    session.add(settlement)
    session.flush()
    session.add_all(SettlementLine(settlement_id=settlement.id, locked=False, **{
        k: v for k, v in item.items() if k != "carried"}) for item in items)
    settlement.statement = statement | {"id": settlement.id, "number": settlement.number,
                                        "status": "draft", "created_by": by.username}
    session.flush()
    return settlement


def get_settlement(session: Session, settlement_id: int) -> Settlement:
    settlement = session.get(Settlement, settlement_id)
    if settlement is None:
        raise NotFound(_("Không có bảng quyết toán số %(id)s.", id=settlement_id),
                       code="unknown_settlement")
    return settlement


def pay_settlement(session: Session, *, settlement_id: int, amount: object, paid_on: object,
                   reference: object, by: User) -> Settlement:
    """Record the payment of a draft and lock its lines, so no later settlement counts
    them again and nothing rewrites this one."""
    settlement = get_settlement(session, settlement_id)
    _lock_producer(session, settlement.producer_id)
    session.refresh(settlement)
    if settlement.status == "paid":
        raise Conflict(_("Bảng quyết toán %(n)s đã được thanh toán ngày %(d)s.",
                         n=settlement.number, d=settlement.paid_on.strftime("%d/%m/%Y")),
                       code="already_paid")
    value = whole(amount, field="amount", minimum=0, maximum=10 ** 15,
                  message=_("Số tiền trả phải là số nguyên đồng không âm."))
    day = parse_date(paid_on, field="paid_on")
    if day < settlement.period_from:
        raise DomainError(_("Ngày trả không thể trước kỳ quyết toán (%(d)s).",
                            d=settlement.period_from.strftime("%d/%m/%Y")), field="paid_on",
                          code="bad_date")
    if not isinstance(reference, str) or not reference.strip() or len(reference) > 100:
        raise DomainError(_("Cần ghi số chứng từ thanh toán (tối đa 100 ký tự)."),
                          field="reference", code="required")
    if settlement.payable < 0:
        raise Conflict(_("Số tiền phải trả âm (%(a)s): chủ thể đang nợ lại cửa hàng; hãy gộp "
                         "vào kỳ sau.", a=format_vnd(settlement.payable)),
                       code="negative_payable")
    if value != settlement.payable:
        raise DomainError(_("Số tiền trả %(a)s khác số tiền phải trả %(b)s.",
                            a=format_vnd(value), b=format_vnd(settlement.payable)),
                          field="amount", code="amount_mismatch")
    _refuse_overlap(_paid_settlements(session, settlement.producer_id), settlement.period_from,
                    settlement.period_to, other_than=settlement.id)
    other = aliased(SettlementLine)
    clash = session.scalar(select(func.count()).select_from(SettlementLine).join(other, and_(
        other.sale_line_id == SettlementLine.sale_line_id, other.role == SettlementLine.role,
        other.locked.is_(True))).where(SettlementLine.settlement_id == settlement.id))
    if clash:
        raise Conflict(_("%(n)d dòng bán của bảng nháp này đã được thanh toán trong một bảng "
                         "quyết toán khác: lập lại bảng quyết toán.", n=clash),
                       code="stale_draft")
    session.execute(update(SettlementLine).where(SettlementLine.settlement_id == settlement.id)
                    .values(locked=True))
    settlement.status = "paid"
    settlement.paid_amount = value
    settlement.paid_on = day
    settlement.paid_reference = reference.strip()
    settlement.paid_at = utcnow()
    settlement.paid_by = by.username
    settlement.statement = settlement.statement | {"status": "paid", "paid": {
        "amount": value, "paid_on": day.isoformat(), "reference": settlement.paid_reference,
        "paid_by": by.username}}
    session.flush()
    return settlement


def settlement_to_json(settlement: Settlement) -> dict:
    """The stored statement (as computed when saved) with the settlement's own state."""
    return settlement.statement | {
        "id": settlement.id, "number": settlement.number, "status": settlement.status,
        "created_at": settlement.created_at.isoformat(),
        "paid": None if settlement.status != "paid" else {
            "amount": settlement.paid_amount, "paid_on": settlement.paid_on.isoformat(),
            "reference": settlement.paid_reference, "paid_by": settlement.paid_by}}


def list_settlements(session: Session, *, producer_id: int | None = None,
                     limit: int = 200) -> list[dict]:
    query = select(Settlement, Producer.name).join(Producer).order_by(
        Settlement.id.desc()).limit(limit)
    if producer_id is not None:
        query = query.where(Settlement.producer_id == producer_id)
    return [{"id": s.id, "number": s.number, "producer_id": s.producer_id, "producer": name,
             "from": s.period_from.isoformat(), "to": s.period_to.isoformat(),
             "status": s.status, "gross": s.gross, "payable": s.payable,
             "paid_on": s.paid_on.isoformat() if s.paid_on else None}
            for s, name in session.execute(query)]


# --- exports ----------------------------------------------------------------------------------


def _percent(rate_bp: int) -> str:
    whole_part, rest = divmod(rate_bp, 100)
    return f"{whole_part},{rest:02d}%" if rest else f"{whole_part}%"


def statement_csv(statement: dict) -> bytes:
    """The statement as CSV (UTF-8 with a BOM so spreadsheet programs read the diacritics;
    money as plain integers of đồng)."""
    out = io.StringIO()
    writer = csv.writer(out)
    producer = statement["producer"]
    writer.writerow(["Bảng quyết toán hàng ký gửi", statement.get("number") or "Xem trước"])
    writer.writerow(["Chủ thể", producer["name"], producer["district"]])
    writer.writerow(["Kỳ", statement["from"], statement["to"]])
    writer.writerow([])
    writer.writerow(["Quầy", "Mã sản phẩm", "Sản phẩm", "Hoa hồng cửa hàng", "Hoa hồng điểm bán",
                     "Số lượng bán", "Doanh thu", "Tiền hoa hồng cửa hàng",
                     "Tiền hoa hồng điểm bán", "Phải trả"])
    for row in statement["rows"]:
        writer.writerow([row["booth"], row["code"], row["name"], _percent(row["showroom_rate_bp"]),
                         _percent(row["host_rate_bp"]), row["sold"], row["gross"],
                         row["showroom_commission"], row["host_commission"], row["payable"]])
    writer.writerow([])
    writer.writerow(["Mã sản phẩm", "Sản phẩm", "Nhận ký gửi", "Bán (trừ hoàn)", "Trả lại",
                     "Tồn cuối kỳ", "Doanh thu", "Tiền hoa hồng cửa hàng",
                     "Tiền hoa hồng điểm bán", "Phải trả"])
    for row in statement["products"]:
        writer.writerow([row["code"], row["name"], row["received"], row["sold"], row["returned"],
                         row["on_hand"], row["gross"], row["showroom_commission"],
                         row["host_commission"], row["payable"]])
    totals = statement["totals"]
    writer.writerow(["Tổng cộng", "", totals["received"], totals["sold"], totals["returned"],
                     totals["on_hand"], totals["gross"], totals["showroom_commission"],
                     totals["host_commission"], totals["payable"]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- returning unsold goods -------------------------------------------------------------------


def _location(session: Session, location: object) -> Booth:
    from inventory.warehouse import WAREHOUSE_CODE, central_warehouse

    code = str(location or "").strip()
    if not code:
        raise DomainError(_("Cần chọn nơi trả hàng: kho trung tâm hoặc mã quầy."),
                          field="location", code="required")
    if code.lower() in WAREHOUSE_LOCATIONS or code.upper() == WAREHOUSE_CODE:
        return central_warehouse(session)
    booth = session.scalar(select(Booth).where(Booth.code == code.upper()[:30]))
    if booth is None:
        raise NotFound(_("Không có quầy %(c)s.", c=code[:30]), field="location",
                       code="unknown_booth")
    # Central may not take goods off a booth's books behind its back: the booth would
    # count them missing at its next stocktake and they would leave twice.
    raise DomainError(_("Hàng ở quầy %(c)s phải chuyển về kho trung tâm trước khi trả cho "
                        "chủ thể.", c=booth.code), field="location", code="return_from_warehouse")


def return_to_producer(session: Session, *, producer_id: object, location: object,
                       lines: object, by: User, note: str = "") -> ProducerReturn:
    """Hand unsold goods back to their producer: a numbered document and one ``return``
    stock move per line, never more than the location holds."""
    from inventory.services import post_move

    producer = get_producer(session, producer_id)
    place = _location(session, location)
    if not isinstance(lines, list) or not lines:
        raise DomainError(_("Phiếu trả hàng cần ít nhất một dòng hàng."), field="lines",
                          code="required")
    if len(lines) > MAX_RETURN_LINES:
        raise DomainError(_("Phiếu trả hàng có quá nhiều dòng."), field="lines")
    session.execute(select(Booth.id).where(Booth.id == place.id).with_for_update())
    wanted: list[tuple[Product, int]] = []
    for i, line in enumerate(lines):
        if not isinstance(line, dict):
            raise DomainError(_("Dòng hàng phải là một đối tượng."), field=f"lines[{i}]")
        product_id = line.get("product_id")
        product = session.get(Product, product_id) if isinstance(product_id, int) \
            and not isinstance(product_id, bool) else None
        if product is None or product.producer_id != producer.id:
            raise DomainError(_("Sản phẩm %(id)s không phải của chủ thể này.",
                                id=str(product_id)[:20]), field=f"lines[{i}].product_id",
                              code="unknown_product")
        if any(p.id == product.id for p, _q in wanted):
            raise DomainError(_("Sản phẩm %(id)s xuất hiện hai lần.", id=product.id),
                              field=f"lines[{i}].product_id", code="duplicate_product")
        qty = whole(line.get("qty"), field=f"lines[{i}].qty", minimum=1, maximum=MAX_RETURN_QTY,
                    message=_("Số lượng trả phải là số nguyên từ 1 đến 100.000."))
        level = session.get(StockLevel, (place.id, product.id))
        held = level.on_hand if level else 0
        if qty > held:
            raise Conflict(_("%(p)s: chỉ còn %(n)d tại %(l)s, không thể trả %(q)d.",
                             p=product.name, n=held, l=place.code, q=qty),
                           field=f"lines[{i}].qty", code="not_enough_stock")
        wanted.append((product, qty))
    document = ProducerReturn(producer_id=producer.id, booth_id=place.id, returned_at=utcnow(),
                              returned_by=by.username, note=(note or "")[:300])
    document.lines = [ProducerReturnLine(position=i, product_id=product.id, qty=qty)
                      for i, (product, qty) in enumerate(wanted)]
    session.add(document)
    session.flush()
    for product, qty in wanted:
        post_move(session, booth=place, product=product, qty=-qty, kind=StockMoveKind.RETURN,
                  reference=document.number, note=_("Trả hàng ký gửi cho chủ thể"), by=by)
    return document


def producer_return_to_json(document: ProducerReturn, *, location: str) -> dict:
    return {"id": document.id, "number": document.number,
            "producer_id": document.producer_id, "location": location,
            "returned_at": document.returned_at.isoformat(),
            "returned_by": document.returned_by, "note": document.note,
            "lines": [{"product_id": line.product_id, "qty": line.qty}
                      for line in document.lines]}


def list_producer_returns(session: Session, *, producer_id: int | None = None,
                          limit: int = 200) -> list[dict]:
    query = select(ProducerReturn).order_by(ProducerReturn.id.desc()).limit(limit)
    if producer_id is not None:
        query = query.where(ProducerReturn.producer_id == producer_id)
    documents = list(session.scalars(query))
    codes = dict(session.execute(select(Booth.id, Booth.code).where(
        Booth.id.in_({d.booth_id for d in documents}))).all()) if documents else {}
    return [producer_return_to_json(d, location=codes[d.booth_id]) for d in documents]

