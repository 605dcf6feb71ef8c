"""The central office's reports: takings, quantity and margin by time, place and product;
top and bottom sellers; stock cover per booth; the province's OCOP view; and the
per-cashier signals that point at fraud.

Sales figures are grouped SQL aggregates over the summaries the ingest keeps in the same
transaction as the sale rows (``sales_daily``: business day × booth × product;
``sales_monthly``: the same per calendar month; ``sales_daily_booth``: receipts per business
day and booth): a year's report reads the whole months from ``sales_monthly`` and only the
days of a partial month from ``sales_daily``, some two hundred thousand rows instead of ten
million sale lines. The per-cashier signals read the
sale rows (a cashier is no key of the summaries). The rules, the same everywhere:

* a receipt counts towards its shift's business day (Asia/Ho_Chi_Minh), fixed when the
  shift opened, never towards the UTC date of its timestamp;
* voided receipts are excluded; a refund subtracts on the day it was paid back;
* margin exists only where a cost is known. The catalogue holds no cost price, so the
  cost of a unit is the price agreed with the producer on its latest consignment intake;
  lines of products never taken in on consignment have no cost and stay out of the
  margin (``margin_basis`` says which takings the margin is measured on). The cost is a
  product's, so the margin of any group is its products' net takings less net quantity
  times cost: exact from the per-product summary;
* receipts: by day, week, month, booth or venue, the receipts rung (exact, from the
  per-booth summary); by product, the receipts holding it; by producer, category, star
  rating or district, the sum of its products' receipts (a receipt with two products of
  the group counts twice: ``receipts_note`` says so).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from central.models import SalesDaily, SalesDailyBooth, SalesMonthly
from core.enums import SaleKind, SaleStatus
from core.errors import DomainError, NotFound
from core.input import is_ascii_digits
from core.models import Booth, User, Venue
from core.types import utcnow
from inventory.models import (
    ConsignmentIntake,
    ConsignmentLine,
    Producer,
    Product,
    StockLevel,
)
from pos.counter import BUSINESS_TZ
from pos.counter_models import Sale, SaleLine, Shift

MAX_RANGE_DAYS = 400
DEFAULT_RANGE_DAYS = 30
COVER_WINDOW_DAYS = 30
DIMENSIONS = ("day", "week", "month", "venue", "booth", "product", "producer", "category",
              "stars", "district")
SIGNALS = ("sales", "voids", "refunds", "discounts", "overrides")
# Groupings whose receipts come from the per-booth summary (a receipt lies in one of each).
BOOTH_DIMENSIONS = ("day", "week", "month", "venue", "booth")
# A cashier's rate beyond this multiple of the booth's norm is flagged.
OUTLIER_FACTOR = 2


def today() -> date:
    """Today's business day in Vietnam: no report may end after it."""
    return utcnow().astimezone(BUSINESS_TZ).date()


def category_label(category: str) -> str:
    return {"food": _("Thực phẩm"), "drink": _("Đồ uống"), "herbs": _("Dược liệu"),
            "handicraft": _("Thủ công mỹ nghệ"), "other": _("Khác")}.get(category, category)


# --- parameters ------------------------------------------------------------------------------


def _parse_date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text) if len(text) == 10 else date.fromisoformat("x")
    except ValueError:
        raise DomainError(_("Trường %(f)s: ngày không hợp lệ \"%(d)s\" (cần dạng YYYY-MM-DD).",
                            f=field, d=text[:20]), field=field, code="bad_date") from None


def parse_range(start: str | None, end: str | None, *,
                default_days: int = DEFAULT_RANGE_DAYS) -> tuple[date, date]:
    """The business days ``from``..``to`` (both included) of a report. Missing ends default
    to the last ``default_days`` days up to today; a malformed date, a ``to`` in the future,
    ``from`` after ``to`` or a range over 400 days is refused naming the field."""
    now = today()
    end_day = _parse_date(end, "to") if end else now
    start_day = _parse_date(start, "from") if start else end_day - timedelta(
        days=default_days - 1)
    if end_day > now:
        raise DomainError(_("Trường to: ngày %(d)s chưa tới.", d=end_day.strftime("%d/%m/%Y")),
                          field="to", code="future_date")
    if start_day > end_day:
        raise DomainError(_("Trường from: ngày bắt đầu %(a)s sau ngày kết thúc %(b)s.",
                            a=start_day.strftime("%d/%m/%Y"), b=end_day.strftime("%d/%m/%Y")),
                          field="from", code="bad_range")
    if (end_day - start_day).days + 1 > MAX_RANGE_DAYS:
        raise DomainError(_("Trường from: khoảng thời gian tối đa %(n)d ngày.",
                            n=MAX_RANGE_DAYS), field="from", code="range_too_long")
    return start_day, end_day


def parse_choice(value: str | None, choices: tuple[str, ...], *, field: str,
                 default: str) -> str:
    """One of ``choices``, or 422 naming the field and what is accepted."""
    if value is None or value == "":
        return default
    if value not in choices:
        raise DomainError(_("Trường %(f)s không hợp lệ: \"%(v)s\" (chọn một trong: %(c)s).",
                            f=field, v=value[:30], c=", ".join(choices)), field=field,
                          code="invalid")
    return value


def parse_limit(value: str | None, *, default: int = 10, maximum: int = 100) -> int:
    if value is None or value == "":
        return default
    if not is_ascii_digits(value) or not 1 <= int(value[:6]) <= maximum:
        raise DomainError(_("Trường limit phải là số nguyên từ 1 đến %(m)d.", m=maximum),
                          field="limit", code="invalid")
    return int(value)


def booth_by_code(session: Session, code: str | None) -> Booth | None:
    """The booth a report is narrowed to, or None for every booth; an unknown code is 404."""
    if not code:
        return None
    booth = None if "\x00" in code else session.scalar(
        select(Booth).where(Booth.code == code[:30]))
    if booth is None:
        raise NotFound(_("Trường booth: không có quầy %(b)s.", b=code[:30].replace("\x00", "")),
                       field="booth", code="unknown_booth")
    return booth


# --- sales -----------------------------------------------------------------------------------


def _unit_costs():
    """Per product, the agreed price of its latest consignment intake (the only cost the
    data knows)."""
    ranked = (select(ConsignmentLine.product_id, ConsignmentLine.agreed_price,
                     func.row_number().over(
                         partition_by=ConsignmentLine.product_id,
                         order_by=(ConsignmentIntake.received_at.desc(),
                                   ConsignmentLine.id.desc())).label("rn"))
              .join(ConsignmentIntake, ConsignmentIntake.id == ConsignmentLine.intake_id)
              .subquery())
    return (select(ranked.c.product_id, ranked.c.agreed_price.label("cost"))
            .where(ranked.c.rn == 1).subquery("unit_cost"))


def _dimension(by: str, day=SalesDaily.business_day):
    """The SQL key and label of a grouping (week and month are folded from days)."""
    if by in ("day", "week", "month"):
        return day, day
    return {
        "venue": (Venue.code, Venue.name),
        "booth": (Booth.code, Booth.name),
        "product": (Product.id, Product.name),
        "producer": (Producer.id, Producer.name),
        "category": (Product.category, Product.category),
        "stars": (Product.stars, Product.stars),
        "district": (Producer.district, Producer.district),
    }[by]


def _label(by: str, key, label) -> str:
    if by == "category":
        return category_label(key)
    if by == "stars":
        return _("%(n)s sao", n=key) if key is not None else _("Chưa rõ hạng sao")
    if by == "district":
        return key or _("Chưa rõ huyện")
    if by == "producer" and not label:
        return _("Chủ thể chưa rõ tên")
    return str(label)


def _week_key(day: date) -> tuple[str, str]:
    year, week, _weekday = day.isocalendar()
    monday = day - timedelta(days=day.weekday())
    return f"{year}-W{week:02d}", _("Tuần %(w)d/%(y)d (từ %(d)s)", w=week, y=year,
                                    d=monday.strftime("%d/%m"))


def _period(day: date, by: str) -> tuple[str, str]:
    """The key and label of the ISO week or calendar month a day lies in."""
    if by == "week":
        return _week_key(day)
    return day.strftime("%Y-%m"), _("Tháng %(m)s", m=day.strftime("%m/%Y"))


def _fold(rows: list[dict], by: str) -> list[dict]:
    """Days (or whole months, keyed by their first day) into ISO weeks or calendar
    months."""
    folded: dict[str, dict] = {}
    for row in rows:
        key, label = _period(date.fromisoformat(row["key"]), by)
        target = folded.setdefault(key, {"key": key, "label": label} | dict.fromkeys(
            ("takings", "gross", "refunds", "quantity", "receipts", "margin_basis"), 0)
            | {"margin": None})
        for name in ("takings", "gross", "refunds", "quantity", "receipts", "margin_basis"):
            target[name] += row[name]
        if row["margin"] is not None:
            target["margin"] = (target["margin"] or 0) + row["margin"]
    return list(folded.values())


def _summary_rows(table=SalesDaily):
    """The summary rows that hold something: a receipt voided entirely leaves zeros."""
    return or_(table.receipts != 0, table.qty != 0, table.amount != 0, table.refund_qty != 0,
               table.refund_amount != 0)


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _summed(table, day, *, start: date, end: date, booth: Booth | None, key: str | None):
    """One summary table added up per product (and booth or day) over ``start``..``end``."""
    columns = [table.product_id]
    if key == "booth":
        columns.append(table.booth_id)
    elif key in ("day", "month"):
        columns.append(day.label("business_day"))
    query = (select(*columns, func.sum(table.qty).label("qty"),
                    func.sum(table.amount).label("amount"),
                    func.sum(table.receipts).label("receipts"),
                    func.sum(table.refund_qty).label("refund_qty"),
                    func.sum(table.refund_amount).label("refund_amount"))
             .where(day >= start, day <= end, _summary_rows(table)).group_by(*columns))
    return query.where(table.booth_id == booth.id) if booth is not None else query


def _per_product(*, start: date, end: date, booth: Booth | None, key: str | None = None):
    """Net sales per product (and per booth, day or month with ``key``) over the business
    days ``start``..``end``: whole calendar months from ``sales_monthly``, the days of a
    partial month at either end from ``sales_daily`` (by day, all from ``sales_daily``).
    One scan of the summaries, before any join: the joins to products, producers, booths
    and costs then touch thousands of rows, not millions."""
    d, m = SalesDaily, SalesMonthly
    full_from = start if start.day == 1 else _next_month(start)
    full_to = end if (end + timedelta(days=1)).day == 1 else end.replace(day=1) - timedelta(
        days=1)
    if key == "day" or full_from > full_to:
        return _summed(d, d.business_day, start=start, end=end, booth=booth,
                       key=key).subquery("per_product")
    parts = [_summed(m, m.month, start=full_from, end=full_to, booth=booth, key=key)]
    if start < full_from:
        parts.append(_summed(d, d.business_day, start=start,
                             end=full_from - timedelta(days=1), booth=booth, key=key))
    if full_to < end:
        parts.append(_summed(d, d.business_day, start=full_to + timedelta(days=1), end=end,
                             booth=booth, key=key))
    if len(parts) == 1:
        return parts[0].subquery("per_product")
    both = union_all(*parts).subquery("parts")
    columns = [c for c in both.c if c.name in ("product_id", "booth_id", "business_day")]
    return (select(*columns, *(func.sum(both.c[name]).label(name) for name in (
        "qty", "amount", "receipts", "refund_qty", "refund_amount")))
        .group_by(*columns).subquery("per_product"))


def _booth_receipts(session: Session, *, start: date, end: date, by: str,
                    booth: Booth | None) -> dict:
    """Receipts rung per day, booth or venue, from the per-booth summary."""
    key, _label_column = _dimension(by, SalesDailyBooth.business_day)
    query = (select(key, func.sum(SalesDailyBooth.receipts))
             .join(Booth, Booth.id == SalesDailyBooth.booth_id)
             .join(Venue, Venue.id == Booth.venue_id)
             .where(SalesDailyBooth.business_day >= start, SalesDailyBooth.business_day <= end)
             .group_by(key))
    if booth is not None:
        query = query.where(SalesDailyBooth.booth_id == booth.id)
    return {k: int(n) for k, n in session.execute(query)}


def sales_report(session: Session, *, start: date, end: date, by: str,
                 booth: Booth | None = None) -> dict:
    """Takings (net of refunds, voids excluded), quantity, receipts and margin per ``by``
    over the business days ``start``..``end``, from the summaries (``_per_product``)."""
    s = _per_product(start=start, end=end, booth=booth, key={
        "day": "day", "week": "day", "month": "month", "venue": "booth",
        "booth": "booth"}.get(by))
    key, label = _dimension(by, s.c.business_day if "business_day" in s.c else None)
    cost = _unit_costs()
    costed = cost.c.cost.is_not(None)
    query = (
        select(key.label("key"), label.label("label"),
               func.sum(s.c.amount).label("takings"),
               func.sum(s.c.amount + s.c.refund_amount).label("gross"),
               func.sum(s.c.refund_amount).label("refunds"),
               func.sum(s.c.qty).label("quantity"),
               func.sum(s.c.receipts).label("receipts"),
               func.sum(case((costed, s.c.amount - s.c.qty * cost.c.cost), else_=0))
               .label("margin"),
               func.sum(case((costed, s.c.amount), else_=0)).label("margin_basis"),
               func.count(cost.c.cost).label("costed_lines"))
        .select_from(s)
        .join(Product, Product.id == s.c.product_id)
        .join(Producer, Producer.id == Product.producer_id)
        .outerjoin(cost, cost.c.product_id == s.c.product_id)
        .group_by(key, label))
    if by in ("venue", "booth"):
        query = (query.join(Booth, Booth.id == s.c.booth_id)
                 .join(Venue, Venue.id == Booth.venue_id))
    receipts = (_booth_receipts(session, start=start, end=end, by=by, booth=booth)
                if by in BOOTH_DIMENSIONS else None)
    folded = by in ("week", "month")  # their receipts are counted per period below
    rows = []
    for r in session.execute(query):
        row_key = r.key.isoformat() if isinstance(r.key, date) else r.key
        rows.append({"key": row_key, "label": _label(by, r.key, r.label),
                     "takings": int(r.takings), "gross": int(r.gross),
                     "refunds": int(r.refunds), "quantity": int(r.quantity),
                     "receipts": 0 if folded else int(r.receipts if receipts is None
                                                      else receipts.get(r.key, 0)),
                     "margin": int(r.margin) if r.costed_lines else None,
                     "margin_basis": int(r.margin_basis)})
    if folded:
        rows = _fold(rows, by)
        # a month's row may stand for a whole month: its receipts are its days'
        periods: dict[str, int] = defaultdict(int)
        for day, n in receipts.items():
            periods[_period(day, by)[0]] += n
        for row in rows:
            row["receipts"] = periods.get(row["key"], 0)
    if by in ("day", "week", "month"):
        rows.sort(key=lambda row: row["key"])
    else:
        rows.sort(key=lambda row: (-row["takings"], str(row["label"])))
    if by == "day":
        for row in rows:
            row["label"] = date.fromisoformat(row["key"]).strftime("%d/%m/%Y")
    margins = [row["margin"] for row in rows if row["margin"] is not None]
    answer = {
        "from": start.isoformat(), "to": end.isoformat(), "by": by,
        "booth": booth.code if booth else None, "rows": rows,
        "totals": {name: sum(row[name] for row in rows) for name in
                   ("takings", "gross", "refunds", "quantity", "margin_basis")}
        # Receipts rung in the period, each once (a product group's rows may share one).
        | {"receipts": sum((receipts if receipts is not None else _booth_receipts(
            session, start=start, end=end, by="booth", booth=booth)).values()),
           "margin": sum(margins) if margins else None},
        "margin_note": _("Lãi gộp = doanh thu trừ giá vốn; giá vốn là giá thỏa thuận ở lần "
                         "nhận ký gửi gần nhất của sản phẩm. Sản phẩm chưa từng nhận ký gửi "
                         "không có giá vốn nên không tính lãi (để trống)."),
    }
    if by not in BOOTH_DIMENSIONS and by != "product":
        answer["receipts_note"] = _(
            "Theo nhóm sản phẩm, số hóa đơn là tổng số hóa đơn của từng sản phẩm trong nhóm: "
            "một hóa đơn có hai sản phẩm cùng nhóm được đếm hai lần.")
    if not rows:
        answer["message"] = _("Không có bán hàng nào từ %(a)s đến %(b)s.",
                              a=start.strftime("%d/%m/%Y"), b=end.strftime("%d/%m/%Y"))
    return answer


def top_products(session: Session, *, start: date, end: date, limit: int, order: str,
                 booth: Booth | None = None) -> dict:
    """The best (``top``) or worst (``bottom``) sellers by takings. Bottom sellers include
    the active products that sold nothing at all (at one booth: those on its shelves):
    they are the bottom."""
    report = sales_report(session, start=start, end=end, by="product", booth=booth)
    rows = report["rows"]
    codes = dict(session.execute(select(Product.id, Product.code)).all())
    if order == "bottom":
        sold = {row["key"] for row in rows}
        # The products that could have sold: the active catalogue, or at one booth what
        # it holds.
        candidates = select(Product.id, Product.name).where(Product.active.is_(True))
        if booth is not None:
            candidates = candidates.join(StockLevel, StockLevel.product_id == Product.id).where(
                StockLevel.booth_id == booth.id, StockLevel.on_hand > 0)
        for pid, name in session.execute(candidates):
            if pid not in sold:
                rows.append({"key": pid, "label": name, "takings": 0, "gross": 0,
                             "refunds": 0, "quantity": 0, "receipts": 0, "margin": None,
                             "margin_basis": 0})
        rows.sort(key=lambda row: (row["takings"], row["quantity"], row["label"]))
    else:
        rows.sort(key=lambda row: (-row["takings"], -row["quantity"], row["label"]))
    rows = rows[:limit]
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
        row["code"] = codes.get(row["key"], "")
    answer = {"from": report["from"], "to": report["to"], "order": order, "limit": limit,
              "booth": report["booth"], "rows": rows}
    if not rows:
        answer["message"] = report.get("message") or _("Không có sản phẩm nào.")
    return answer


# --- stock cover -----------------------------------------------------------------------------


def _cover(on_hand: int, qty: int, window: int) -> tuple[float | None, float | None]:
    """Sell-through (%) and days of cover; none where nothing sold."""
    through = round(100 * qty / (qty + on_hand), 1) if qty > 0 else None
    return through, (round(on_hand * window / qty, 1) if qty > 0 else None)


def stock_cover(session: Session, *, as_of: date | None = None,
                window: int = COVER_WINDOW_DAYS, booth: Booth | None = None) -> dict:
    """Per booth (or, for one booth, per product): what is on the shelves now against
    what sold over the last ``window`` business days. Sell-through is sold ÷ (sold + on
    hand); days of cover is how long the shelves last at that pace (none when nothing
    sold)."""
    end = as_of or today()
    start = end - timedelta(days=window - 1)
    by = StockLevel.product_id if booth else StockLevel.booth_id
    stock_query = (select(by, func.sum(StockLevel.on_hand),
                          func.sum(StockLevel.on_hand * Product.price))
                   .join(Product, Product.id == StockLevel.product_id)
                   .where(StockLevel.on_hand > 0).group_by(by))
    d = SalesDaily
    sold_by = d.product_id if booth else d.booth_id
    sold_query = (select(sold_by, func.sum(d.qty), func.sum(d.amount))
                  .where(d.business_day >= start, d.business_day <= end, _summary_rows())
                  .group_by(sold_by))
    if booth is not None:
        stock_query = stock_query.where(StockLevel.booth_id == booth.id)
        sold_query = sold_query.where(d.booth_id == booth.id)
    stock = {k: (int(units), int(value)) for k, units, value in session.execute(stock_query)}
    sold = {k: (int(qty), int(amount)) for k, qty, amount in session.execute(sold_query)}
    if booth is None:
        keys = [(bid, code, name, venue) for bid, code, name, venue in session.execute(
            select(Booth.id, Booth.code, Booth.name, Venue.name)
            .join(Venue, Venue.id == Booth.venue_id)
            .where(Booth.kind == "booth").order_by(Booth.code))]
    else:
        wanted = set(stock) | set(sold)
        keys = [(pid, code, name, "") for pid, code, name in session.execute(
            select(Product.id, Product.code, Product.name)
            .where(Product.id.in_(wanted)).order_by(Product.code))] if wanted else []
    rows = []
    for key, code, name, venue in keys:
        on_hand, value = stock.get(key, (0, 0))
        qty, amount = sold.get(key, (0, 0))
        through, cover = _cover(on_hand, qty, window)
        rows.append({"key": code, "label": name, "venue": venue, "on_hand": on_hand,
                     "stock_value": value, "sold": qty, "takings": amount,
                     "sell_through": through, "days_of_cover": cover})
    answer = {"as_of": end.isoformat(), "window_days": window, "from": start.isoformat(),
              "booth": booth.code if booth else None, "rows": rows}
    if not rows:
        answer["message"] = _("Quầy không có hàng tồn và không bán được gì trong %(n)d ngày "
                              "qua.", n=window)
    return answer


# --- the province's OCOP view ----------------------------------------------------------------


def ocop_view(session: Session, *, start: date, end: date) -> dict:
    """Products in the catalogue and their sales by star rating and district: what the
    province's OCOP programme asks of its showrooms."""
    catalogue = {(stars, district): int(n) for stars, district, n in session.execute(
        select(Product.stars, Producer.district, func.count(Product.id))
        .join(Producer, Producer.id == Product.producer_id)
        .where(Product.active.is_(True)).group_by(Product.stars, Producer.district))}
    per_product = _per_product(start=start, end=end, booth=None)
    sales = {(r.stars, r.district): r for r in session.execute(
        select(Product.stars, Producer.district,
               func.sum(case((per_product.c.qty > 0, 1), else_=0)).label("sold"),
               func.sum(per_product.c.qty).label("qty"),
               func.sum(per_product.c.amount).label("amount"))
        .join(Product, Product.id == per_product.c.product_id)
        .join(Producer, Producer.id == Product.producer_id)
        .group_by(Product.stars, Producer.district))}
    rows = []
    for stars, district in sorted(set(catalogue) | set(sales),
                                  key=lambda k: (-(k[0] or 0), k[1] or "")):
        s = sales.get((stars, district))
        rows.append({"stars": stars, "stars_label": _label("stars", stars, stars),
                     "district": district or "", "district_label": _label("district",
                                                                          district, district),
                     "products": catalogue.get((stars, district), 0),
                     "products_sold": int(s.sold) if s else 0,
                     "quantity": int(s.qty) if s else 0, "takings": int(s.amount) if s else 0})
    by_stars: dict = defaultdict(lambda: {"products": 0, "products_sold": 0, "quantity": 0,
                                          "takings": 0})
    for row in rows:
        for name in ("products", "products_sold", "quantity", "takings"):
            by_stars[row["stars"]][name] += row[name]
    answer = {"from": start.isoformat(), "to": end.isoformat(), "rows": rows,
              "by_stars": [{"stars": k, "stars_label": _label("stars", k, k)} | v
                           for k, v in sorted(by_stars.items(), key=lambda i: -(i[0] or 0))]}
    if not sales:
        answer["message"] = _("Không có bán hàng nào từ %(a)s đến %(b)s.",
                              a=start.strftime("%d/%m/%Y"), b=end.strftime("%d/%m/%Y"))
    return answer


# --- fraud signals per cashier ---------------------------------------------------------------


def _signal_filters(start: date, end: date, booth: Booth | None):
    where = [Shift.business_day >= start, Shift.business_day <= end]
    if booth is not None:
        where.append(Sale.booth_id == booth.id)
    return where


def _rate(count: int, sales: int) -> float | None:
    return round(count / sales, 4) if sales else None


def cashier_signals(session: Session, *, start: date, end: date,
                    booth: Booth | None = None) -> dict:
    """Per cashier and booth: receipts rung, voids, refunds, discounts and price overrides,
    each as a count, an amount and a rate per receipt rung, beside the booth's norm (the
    same rate over all its cashiers); a rate over twice the norm is flagged.

    A void or a refund is counted against the cashier who rang the original receipt (the
    one whose takings it reverses); a refund counts on the business day it was paid back.
    """
    where = _signal_filters(start, end, booth)
    figures: dict[tuple[int, int], dict] = defaultdict(lambda: dict.fromkeys(
        ("sales", "sales_amount", "voids", "voids_amount", "refunds", "refunds_amount",
         "discounts", "discounts_amount", "overrides", "overrides_amount"), 0))
    voided = Sale.status == SaleStatus.VOIDED
    completed = Sale.status == SaleStatus.COMPLETED
    discounted = and_(completed, Sale.discount_total > 0)
    for r in session.execute(
            select(Sale.booth_id, Sale.cashier_id, func.count(), func.sum(Sale.total),
                   func.sum(case((voided, 1), else_=0)),
                   func.sum(case((voided, Sale.total), else_=0)),
                   func.sum(case((discounted, 1), else_=0)),
                   func.sum(case((completed, Sale.discount_total), else_=0)))
            .join(Shift, Shift.id == Sale.shift_id)
            .where(Sale.kind == SaleKind.SALE, *where).group_by(Sale.booth_id, Sale.cashier_id)):
        f = figures[(r[0], r[1])]
        f["sales"], f["sales_amount"], f["voids"], f["voids_amount"] = map(int, r[2:6])
        f["discounts"], f["discounts_amount"] = int(r[6]), int(r[7])
    original = aliased(Sale)
    for booth_id, cashier_id, n, amount in session.execute(
            select(Sale.booth_id, original.cashier_id, func.count(), func.sum(Sale.total))
            .join(Shift, Shift.id == Sale.shift_id)
            .join(original, original.id == Sale.refund_of_id)
            .where(Sale.kind == SaleKind.REFUND, completed, *where)
            .group_by(Sale.booth_id, original.cashier_id)):
        figures[(booth_id, cashier_id)]["refunds"] = int(n)
        figures[(booth_id, cashier_id)]["refunds_amount"] = int(amount)
    for booth_id, cashier_id, n, amount in session.execute(
            select(Sale.booth_id, Sale.cashier_id, func.count(),
                   func.sum((SaleLine.catalog_price - SaleLine.unit_price) * SaleLine.qty))
            .join(Sale, Sale.id == SaleLine.sale_id).join(Shift, Shift.id == Sale.shift_id)
            .where(Sale.kind == SaleKind.SALE, completed,
                   SaleLine.unit_price != SaleLine.catalog_price, *where)
            .group_by(Sale.booth_id, Sale.cashier_id)):
        figures[(booth_id, cashier_id)]["overrides"] = int(n)
        figures[(booth_id, cashier_id)]["overrides_amount"] = int(amount)

    names = {uid: (username, full) for uid, username, full in session.execute(
        select(User.id, User.username, User.full_name)
        .where(User.id.in_({c for _b, c in figures})))} if figures else {}
    codes = dict(session.execute(select(Booth.id, Booth.code).where(
        Booth.id.in_({b for b, _c in figures}))).all()) if figures else {}
    norms: dict[int, dict] = {}
    for (booth_id, _cashier), f in figures.items():
        total = norms.setdefault(booth_id, dict.fromkeys(f, 0))
        for name, value in f.items():
            total[name] += value
    booth_norm = {code_id: {s: _rate(t[s], t["sales"]) for s in SIGNALS[1:]}
                  for code_id, t in norms.items()}
    rows = []
    for (booth_id, cashier_id), f in figures.items():
        username, full_name = names.get(cashier_id, ("", ""))
        row = {"booth": codes[booth_id], "cashier": username, "name": full_name or username}
        row |= f
        flags = []
        for signal in SIGNALS[1:]:
            rate = _rate(f[signal], f["sales"])
            norm = booth_norm[booth_id][signal]
            row[f"{signal}_rate"] = rate
            row[f"{signal}_norm"] = norm
            if rate is not None and norm and rate > OUTLIER_FACTOR * norm:
                flags.append(signal)
        row["flags"] = flags
        rows.append(row)
    rows.sort(key=lambda row: (row["booth"], -len(row["flags"]), row["cashier"]))
    answer = {"from": start.isoformat(), "to": end.isoformat(),
              "booth": booth.code if booth else None, "rows": rows,
              "norms": [{"booth": codes[b]} | {f"{s}_rate": n[s] for s in n}
                        for b, n in sorted(booth_norm.items(), key=lambda i: codes[i[0]])],
              "outlier_factor": OUTLIER_FACTOR,
              "not_recorded": _("Máy bán hàng chưa ghi lại các lần mở ngăn kéo không bán "
                                "(no-sale), nên báo cáo không có số liệu này. Mọi phiếu hoàn "
                                "đều gắn với một hóa đơn gốc (không có hoàn tiền không hóa "
                                "đơn).")}
    if not rows:
        answer["message"] = _("Không có bán hàng nào từ %(a)s đến %(b)s.",
                              a=start.strftime("%d/%m/%Y"), b=end.strftime("%d/%m/%Y"))
    return answer


def cashier_by_username(session: Session, username: str) -> User:
    """The person a drill-down names (by login, as the cashiers' table links); 404 if
    unknown."""
    user = None if "\x00" in username else session.scalar(
        select(User).where(User.username == username[:64]))
    if user is None:
        raise NotFound(_("Không có nhân viên %(u)s.", u=username[:64].replace("\x00", "")),
                       field="username", code="unknown_cashier")
    return user


def signal_rows(session: Session, *, cashier: User, signal: str, start: date, end: date,
                booth: Booth | None = None) -> dict:
    """The receipts (or, for overrides, the lines) behind one figure of a cashier's row,
    chosen by exactly the rules ``cashier_signals`` counts by."""
    where = _signal_filters(start, end, booth)
    approver, voider = aliased(User), aliased(User)
    original = aliased(Sale)
    columns = [Sale.number, Booth.code.label("booth"), Shift.business_day,
               Sale.created_at, Sale.kind, Sale.status, Sale.total, Sale.discount_total,
               approver.username.label("approved_by"), voider.username.label("voided_by"),
               Sale.reason, Sale.void_reason]
    query = (select(*columns).join(Shift, Shift.id == Sale.shift_id)
             .join(Booth, Booth.id == Sale.booth_id)
             .outerjoin(approver, approver.id == Sale.approved_by_id)
             .outerjoin(voider, voider.id == Sale.voided_by_id).where(*where))
    if signal == "refunds":
        query = (query.add_columns(original.number.label("original"))
                 .join(original, original.id == Sale.refund_of_id)
                 .where(Sale.kind == SaleKind.REFUND, Sale.status == SaleStatus.COMPLETED,
                        original.cashier_id == cashier.id))
    elif signal == "overrides":
        query = (select(Sale.number, Booth.code.label("booth"), Shift.business_day,
                        Sale.created_at, SaleLine.name, SaleLine.qty, SaleLine.catalog_price,
                        SaleLine.unit_price,
                        ((SaleLine.catalog_price - SaleLine.unit_price) * SaleLine.qty)
                        .label("given_away"), approver.username.label("approved_by"))
                 .select_from(SaleLine).join(Sale, Sale.id == SaleLine.sale_id)
                 .join(Shift, Shift.id == Sale.shift_id).join(Booth, Booth.id == Sale.booth_id)
                 .outerjoin(approver, approver.id == Sale.approved_by_id)
                 .where(Sale.kind == SaleKind.SALE, Sale.status == SaleStatus.COMPLETED,
                        Sale.cashier_id == cashier.id,
                        SaleLine.unit_price != SaleLine.catalog_price, *where))
    else:
        query = query.where(Sale.kind == SaleKind.SALE, Sale.cashier_id == cashier.id)
        if signal == "voids":
            query = query.where(Sale.status == SaleStatus.VOIDED)
        elif signal == "discounts":
            query = query.where(Sale.status == SaleStatus.COMPLETED, Sale.discount_total > 0)
    rows = []
    for r in session.execute(query.order_by(Sale.created_at, Sale.number)):
        row = dict(r._mapping)
        row["business_day"] = row["business_day"].isoformat()
        row["created_at"] = row["created_at"].isoformat()
        for name in ("approved_by", "voided_by"):
            if name in row:
                row[name] = row[name] or ""
        if "status" in row:
            row["status_label"] = (_("Đã hủy") if row["status"] == "voided" else
                                   _("Phiếu hoàn") if row["kind"] == "refund" else
                                   _("Hoàn tất"))
        rows.append(row)
    answer = {"cashier": cashier.username, "signal": signal, "from": start.isoformat(),
              "to": end.isoformat(), "booth": booth.code if booth else None, "rows": rows}
    if not rows:
        answer["message"] = _("Không có dòng nào.")
    return answer

