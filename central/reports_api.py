"""The reports as JSON under ``/api/v1/reports`` (and as CSV or XLSX with ``format=``).

``run_report`` turns a request's arguments into a report, its columns and its rows: the
pages in ``reports_views`` call it too, so a page, its JSON and its exports always show
the same figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import Blueprint, request
from flask_babel import gettext as _

from central import reports
from central.export import FORMATS, Column, export_response
from core.auth import OFFICE, allow
from core.extensions import db

api = Blueprint("reports_api", __name__, url_prefix="/api/v1")


@dataclass
class Report:
    """A computed report: the JSON answer, and the table its pages and files show."""

    name: str
    title: str
    data: dict
    columns: list[Column]
    rows: list[dict]

    @property
    def filename(self) -> str:
        tail = "-".join(str(self.data[k]) for k in ("from", "to", "by", "booth")
                        if self.data.get(k))
        return f"bao-cao-{self.name}-{tail}" if tail else f"bao-cao-{self.name}"


def dimension_title(by: str) -> str:
    return {"day": _("Ngày"), "week": _("Tuần"), "month": _("Tháng"), "venue": _("Điểm bán"),
            "booth": _("Quầy"), "product": _("Sản phẩm"), "producer": _("Chủ thể"),
            "category": _("Nhóm hàng"), "stars": _("Hạng sao"), "district": _("Huyện")}[by]


def signal_title(signal: str) -> str:
    return {"sales": _("Hóa đơn bán"), "voids": _("Hủy hóa đơn"), "refunds": _("Hoàn tiền"),
            "discounts": _("Giảm giá"), "overrides": _("Đổi giá")}[signal]


def _sales(args: Mapping) -> Report:
    start, end = reports.parse_range(args.get("from"), args.get("to"))
    by = reports.parse_choice(args.get("by"), reports.DIMENSIONS, field="by", default="day")
    booth = reports.booth_by_code(db.session, args.get("booth"))
    data = reports.sales_report(db.session, start=start, end=end, by=by, booth=booth)
    columns = [Column("key", _("Mã")), Column("label", dimension_title(by)),
               Column("takings", _("Doanh thu thuần"), "money"),
               Column("gross", _("Tiền bán"), "money"),
               Column("refunds", _("Tiền hoàn"), "money"),
               Column("quantity", _("Số lượng"), "int"),
               Column("receipts", _("Số hóa đơn"), "int"),
               Column("margin", _("Lãi gộp"), "money"),
               Column("margin_basis", _("Doanh thu có giá vốn"), "money")]
    return Report("sales", _("Doanh thu theo %(d)s", d=dimension_title(by).lower()), data,
                  columns, data["rows"])


def _top(args: Mapping) -> Report:
    start, end = reports.parse_range(args.get("from"), args.get("to"))
    order = reports.parse_choice(args.get("order"), ("top", "bottom"), field="order",
                                 default="top")
    limit = reports.parse_limit(args.get("limit"))
    booth = reports.booth_by_code(db.session, args.get("booth"))
    data = reports.top_products(db.session, start=start, end=end, limit=limit, order=order,
                                booth=booth)
    columns = [Column("rank", _("Hạng"), "int"), Column("code", _("Mã")),
               Column("label", _("Sản phẩm")), Column("quantity", _("Số lượng"), "int"),
               Column("takings", _("Doanh thu thuần"), "money"),
               Column("receipts", _("Số hóa đơn"), "int"),
               Column("margin", _("Lãi gộp"), "money")]
    title = _("Sản phẩm bán chạy nhất") if order == "top" else _("Sản phẩm bán chậm nhất")
    return Report("top-products", title, data, columns, data["rows"])


def _cover(args: Mapping) -> Report:
    booth = reports.booth_by_code(db.session, args.get("booth"))
    data = reports.stock_cover(db.session, booth=booth)
    head = ([Column("key", _("Mã")), Column("label", _("Sản phẩm"))] if booth else
            [Column("key", _("Quầy")), Column("label", _("Tên quầy")),
             Column("venue", _("Điểm bán"))])
    columns = head + [Column("on_hand", _("Tồn kho"), "int"),
               Column("stock_value", _("Giá trị tồn (giá bán)"), "money"),
               Column("sold", _("Bán 30 ngày"), "int"),
               Column("takings", _("Doanh thu 30 ngày"), "money"),
               Column("sell_through", _("Tỷ lệ bán hết (%)"), "decimal"),
               Column("days_of_cover", _("Số ngày đủ hàng"), "decimal")]
    title = _("Tồn kho và số ngày đủ hàng")
    return Report("stock-cover", f"{title} · {booth.code}" if booth else title, data, columns,
                  data["rows"])


def _ocop(args: Mapping) -> Report:
    start, end = reports.parse_range(args.get("from"), args.get("to"))
    data = reports.ocop_view(db.session, start=start, end=end)
    columns = [Column("stars_label", _("Hạng sao")), Column("district_label", _("Huyện")),
               Column("products", _("Số sản phẩm"), "int"),
               Column("products_sold", _("Sản phẩm có bán"), "int"),
               Column("quantity", _("Số lượng bán"), "int"),
               Column("takings", _("Doanh thu thuần"), "money")]
    return Report("ocop", _("Sản phẩm OCOP theo hạng sao và huyện"), data, columns,
                  data["rows"])


def cashier_columns() -> list[Column]:
    columns = [Column("booth", _("Quầy")), Column("cashier", _("Tài khoản")),
               Column("name", _("Họ tên")), Column("sales", _("Hóa đơn bán"), "int"),
               Column("sales_amount", _("Tiền bán"), "money")]
    for signal in reports.SIGNALS[1:]:
        title = signal_title(signal)
        columns += [Column(signal, title, "int"),
                    Column(f"{signal}_amount", _("%(s)s: số tiền", s=title), "money"),
                    Column(f"{signal}_rate", _("%(s)s: tỷ lệ", s=title), "rate"),
                    Column(f"{signal}_norm", _("%(s)s: mức chung của quầy", s=title), "rate")]
    return columns + [Column("flags", _("Bất thường"))]


def _cashiers(args: Mapping) -> Report:
    start, end = reports.parse_range(args.get("from"), args.get("to"))
    booth = reports.booth_by_code(db.session, args.get("booth"))
    data = reports.cashier_signals(db.session, start=start, end=end, booth=booth)
    return Report("cashiers", _("Dấu hiệu bất thường theo thu ngân"), data, cashier_columns(),
                  data["rows"])


REPORTS = {"sales": _sales, "top-products": _top, "stock-cover": _cover, "ocop": _ocop,
           "cashiers": _cashiers}


def run_report(name: str, args: Mapping) -> Report:
    """The named report for these query arguments; bad arguments raise 422 naming the
    field."""
    return REPORTS[name](args)


def signal_columns(signal: str) -> list[Column]:
    if signal == "overrides":
        return [Column("number", _("Số hóa đơn")), Column("booth", _("Quầy")),
                Column("business_day", _("Ngày")), Column("name", _("Sản phẩm")),
                Column("qty", _("SL"), "int"), Column("catalog_price", _("Giá niêm yết"), "money"),
                Column("unit_price", _("Giá bán"), "money"),
                Column("given_away", _("Chênh lệch"), "money"),
                Column("approved_by", _("Người duyệt"))]
    columns = [Column("number", _("Số hóa đơn")), Column("booth", _("Quầy")),
               Column("business_day", _("Ngày")), Column("status_label", _("Trạng thái")),
               Column("total", _("Tổng tiền"), "money"),
               Column("discount_total", _("Giảm giá"), "money"),
               Column("approved_by", _("Người duyệt"))]
    if signal == "voids":
        columns += [Column("voided_by", _("Người hủy")), Column("void_reason", _("Lý do hủy"))]
    if signal == "refunds":
        columns += [Column("original", _("Hóa đơn gốc")), Column("reason", _("Lý do"))]
    return columns


def run_signal(username: str, signal: str, args: Mapping) -> Report:
    """The rows behind one figure of the cashiers' report."""
    signal = reports.parse_choice(signal, reports.SIGNALS, field="signal", default="sales")
    start, end = reports.parse_range(args.get("from"), args.get("to"))
    booth = reports.booth_by_code(db.session, args.get("booth"))
    cashier = reports.cashier_by_username(db.session, username)
    data = reports.signal_rows(db.session, cashier=cashier, signal=signal, start=start,
                               end=end, booth=booth)
    report = Report(f"{signal}-{cashier.username}", _("%(s)s của %(u)s", s=signal_title(signal),
                                                      u=cashier.username),
                    data, signal_columns(signal), data["rows"])
    return report


def respond(report: Report, args: Mapping):
    """JSON by default; ``format=csv|xlsx`` downloads the same rows."""
    fmt = reports.parse_choice(args.get("format"), ("json",) + FORMATS, field="format",
                               default="json")
    if fmt == "json":
        return report.data
    return export_response(fmt, report.columns, report.rows, filename=report.filename,
                           title=report.title)


@api.get("/reports/sales")
@allow(*OFFICE)
def sales():
    """Takings, quantity, receipts and margin by ``by`` over ``from``..``to``."""
    return respond(run_report("sales", request.args), request.args)


@api.get("/reports/top-products")
@allow(*OFFICE)
def top_products():
    """The best or worst sellers (``order=top|bottom``, ``limit``)."""
    return respond(run_report("top-products", request.args), request.args)


@api.get("/reports/stock-cover")
@allow(*OFFICE)
def stock_cover():
    """Per booth (or per product of ``booth``): stock on hand, the last 30 days' sales,
    sell-through, days of cover."""
    return respond(run_report("stock-cover", request.args), request.args)


@api.get("/reports/ocop")
@allow(*OFFICE)
def ocop():
    """Products and sales by star rating and district."""
    return respond(run_report("ocop", request.args), request.args)


@api.get("/reports/cashiers")
@allow(*OFFICE)
def cashiers():
    """Fraud signals per cashier against their booth's norm."""
    return respond(run_report("cashiers", request.args), request.args)


@api.get("/reports/cashiers/<username>/<signal>")
@allow(*OFFICE)
def cashier_signal(username: str, signal: str):
    """The receipts or lines behind one figure of a cashier's row."""
    return respond(run_signal(username, signal, request.args), request.args)
