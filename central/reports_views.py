"""The reports as office pages: the parameters as a GET form, a chart, a table sorted by
``sort=`` links on the server, and the same report as CSV or XLSX (``format=``)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from central import reports
from central.charts import bar_chart, line_chart
from central.export import FORMATS, Column
from central.reports_api import (
    Report,
    dimension_title,
    respond,
    run_report,
    run_signal,
    signal_title,
)
from core.auth import OFFICE, allow
from core.errors import DomainError
from core.extensions import db
from core.models import Booth
from core.money import format_vnd

pages = Blueprint("reports", __name__, template_folder="templates")

TABS = (("reports.sales_page", "Doanh thu"), ("reports.top_page", "Bán chạy / bán chậm"),
        ("reports.cover_page", "Tồn kho và số ngày đủ hàng"), ("reports.ocop_page", "OCOP"),
        ("reports.cashiers_page", "Thu ngân"))


def query_string(**changes) -> str:
    """This page's query string with some arguments changed (None drops one): the sort
    and export links keep the report's parameters."""
    args = request.args.to_dict() | changes
    return "?" + urlencode({k: v for k, v in args.items() if v not in (None, "")})


def _sorted(columns: list[Column], rows: list[dict]) -> tuple[list[dict], str | None, str]:
    """Rows in the order the ``sort`` and ``dir`` links ask for (None values last)."""
    key = request.args.get("sort") or None
    direction = reports.parse_choice(request.args.get("dir"), ("asc", "desc"), field="dir",
                                     default="desc")
    if key is None:
        return rows, None, direction
    reports.parse_choice(key, tuple(c.key for c in columns), field="sort", default="")
    present = [r for r in rows if r.get(key) is not None]
    missing = [r for r in rows if r.get(key) is None]
    present.sort(key=lambda r: (str(r[key]) if isinstance(r[key], (str, list)) else r[key]),
                 reverse=direction == "desc")
    return present + missing, key, direction


def _chart(report: Report) -> Markup | None:
    data = report.data
    if report.name == "sales":
        items = [(r["label"], r["takings"]) for r in data["rows"]]
        title = _("Doanh thu thuần")
        return (line_chart if data["by"] in ("day", "week", "month") else bar_chart)(
            items, title=title)
    if report.name == "top-products":
        return bar_chart([(r["label"], r["takings"]) for r in data["rows"]], title=report.title)
    if report.name == "stock-cover":
        return bar_chart([(r["key"], r["days_of_cover"] or 0) for r in data["rows"]
                          if r["days_of_cover"] is not None],
                         title=_("Số ngày đủ hàng"),
                         fmt=lambda v: _("%(n)s ngày", n=f"{v:.1f}".replace(".", ",")))
    if report.name == "ocop":
        return bar_chart([(r["stars_label"], r["takings"]) for r in data["by_stars"]],
                         title=_("Doanh thu theo hạng sao"))
    return None


def _render(name: str, template: str = "central/report.html", **extra):
    """One report page; bad parameters show on the form with a 422, never a 500."""
    error, status, report = None, 200, None
    try:
        report = run_report(name, request.args)
        fmt = reports.parse_choice(request.args.get("format"), ("html",) + FORMATS,
                                   field="format", default="html")
        if fmt != "html":
            return respond(report, {"format": fmt})
        rows, sort, direction = _sorted(report.columns, report.rows)
    except DomainError as err:
        db.session.rollback()
        error, status, rows, sort, direction = err, err.status, [], None, "desc"
    booths = db.session.scalars(select(Booth).where(Booth.kind == "booth")
                                .order_by(Booth.code)).all()
    args = request.args.to_dict()
    return render_template(template, name=name, report=report, rows=rows, sort=sort,
                           direction=direction, error=error, args=args, booths=booths,
                           tabs=TABS, chart=_chart(report) if report else None,
                           dimensions=reports.DIMENSIONS, dimension_title=dimension_title,
                           signals=reports.SIGNALS[1:], signal_title=signal_title,
                           format_vnd=format_vnd, query=query_string, **extra), status


@pages.get("/reports")
@allow(*OFFICE)
def sales_page():
    return _render("sales")


@pages.get("/reports/top-products")
@allow(*OFFICE)
def top_page():
    return _render("top-products")


@pages.get("/reports/stock-cover")
@allow(*OFFICE)
def cover_page():
    return _render("stock-cover")


@pages.get("/reports/ocop")
@allow(*OFFICE)
def ocop_page():
    return _render("ocop")


@pages.get("/reports/cashiers")
@allow(*OFFICE)
def cashiers_page():
    return _render("cashiers", template="central/fraud.html")


@pages.get("/reports/cashiers/<username>/<signal>")
@allow(*OFFICE)
def cashier_signal_page(username: str, signal: str):
    """The receipts behind one figure: the drill-down from the cashiers' table."""
    error, status, report = None, 200, None
    try:
        report = run_signal(username, signal, request.args)
        fmt = reports.parse_choice(request.args.get("format"), ("html",) + FORMATS,
                                   field="format", default="html")
        if fmt != "html":
            return respond(report, {"format": fmt})
    except DomainError as err:
        db.session.rollback()
        error, status = err, err.status
    return render_template("central/fraud_rows.html", report=report, error=error,
                           args=request.args.to_dict(), username=username, tabs=TABS,
                           format_vnd=format_vnd, query=query_string), status
