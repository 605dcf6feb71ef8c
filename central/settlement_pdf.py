"""The consignment statement as an A4 PDF in Vietnamese, with the receipts' embedded font
(so every diacritic and ₫ prints the same on any machine) and money as ``format_vnd``."""

from __future__ import annotations

import io
from datetime import date, datetime
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.money import format_vnd
from pos.counter import BUSINESS_TZ
from receipts.fonts import register_pdf_fonts

STATUS_LABELS = {"preview": "Bản xem trước (chưa lưu)", "draft": "Bản nháp (chưa thanh toán)",
                 "paid": "Đã thanh toán"}


def _day(text: str) -> str:
    return date.fromisoformat(text).strftime("%d/%m/%Y")


def _moment(text: str) -> str:
    return datetime.fromisoformat(text).astimezone(BUSINESS_TZ).strftime("%d/%m/%Y %H:%M")


def _percent(rate_bp: int) -> str:
    whole, rest = divmod(rate_bp, 100)
    return f"{whole},{rest:02d}%" if rest else f"{whole}%"


def statement_pdf(statement: dict) -> bytes:
    """Render a statement (as ``compute_statement`` or a saved settlement gives it)."""
    regular, bold = register_pdf_fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=9, leading=13)
    cell = ParagraphStyle("cell", parent=body, fontSize=8, leading=11)
    title = ParagraphStyle("title", parent=body, fontName=bold, fontSize=15, leading=20)
    heading = ParagraphStyle("heading", parent=body, fontName=bold, fontSize=11, leading=16,
                             spaceBefore=6)

    def para(text: str, style=body) -> Paragraph:
        return Paragraph(escape(text), style)

    def table(header: list[str], rows: list[list], widths: list[float], money_from: int):
        data = [[Paragraph(escape(h), ParagraphStyle("h", parent=cell, fontName=bold))
                 for h in header]]
        data += [[Paragraph(escape(str(v)), cell) if i < money_from else str(v)
                  for i, v in enumerate(row)] for row in rows]
        grid = Table(data, colWidths=[w * mm for w in widths], repeatRows=1, hAlign="LEFT")
        grid.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), regular), ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ("ALIGN", (money_from, 1), (-1, -1), "RIGHT"), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return grid

    producer = statement["producer"]
    totals = statement["totals"]
    story = [
        para("BẢNG QUYẾT TOÁN HÀNG KÝ GỬI", title),
        para(f"Số: {statement.get('number') or '—'} · "
             f"{STATUS_LABELS.get(statement['status'], statement['status'])}"),
        para(f"Chủ thể: {producer['name'] or '(chưa rõ tên)'} — {producer['district']}"),
        para(f"Kỳ quyết toán: {_day(statement['from'])} – {_day(statement['to'])} "
             "(ngày làm việc, giờ Việt Nam)"),
        Spacer(1, 3 * mm),
    ]
    if statement.get("message"):
        story.append(para(statement["message"]))
    summary = [["Doanh thu (đã trừ hàng hoàn)", format_vnd(totals["gross"])],
               ["Hoa hồng cửa hàng", format_vnd(totals["showroom_commission"])],
               ["Hoa hồng điểm bán", format_vnd(totals["host_commission"])],
               ["Số tiền phải trả chủ thể", format_vnd(totals["payable"])]]
    paid = statement.get("paid")
    if paid:
        summary.append(["Đã trả", f"{format_vnd(paid['amount'])} ngày {_day(paid['paid_on'])}"
                        f" — chứng từ {paid['reference']}"])
    box = Table(summary, colWidths=[70 * mm, 90 * mm], hAlign="LEFT")
    box.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), regular),
                             ("FONTNAME", (0, 3), (-1, 3), bold),
                             ("FONTSIZE", (0, 0), (-1, -1), 10),
                             ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                             ("LINEABOVE", (0, 3), (-1, 3), 0.6, colors.black)]))
    story.append(box)
    carried = statement.get("carried") or {}
    if carried.get("lines"):
        story.append(para(f"Trong đó {carried['lines']} dòng chuyển từ kỳ đã thanh toán trước "
                          f"(hoàn trả hoặc đồng bộ muộn): {format_vnd(carried['payable'])} "
                          "phải trả."))
    for warning in statement.get("warnings") or ():
        story.append(para(f"Lưu ý: {warning}"))

    story.append(para("Theo sản phẩm", heading))
    story.append(table(
        ["Mã", "Sản phẩm", "Nhận ký gửi", "Bán (trừ hoàn)", "Trả lại", "Tồn cuối kỳ",
         "Doanh thu", "HH cửa hàng", "HH điểm bán", "Phải trả"],
        [[p["code"], p["name"], p["received"], p["sold"], p["returned"], p["on_hand"],
          format_vnd(p["gross"]), format_vnd(p["showroom_commission"]),
          format_vnd(p["host_commission"]), format_vnd(p["payable"])]
         for p in statement["products"]]
        + [["", "Tổng cộng", totals["received"], totals["sold"], totals["returned"],
            totals["on_hand"], format_vnd(totals["gross"]),
            format_vnd(totals["showroom_commission"]), format_vnd(totals["host_commission"]),
            format_vnd(totals["payable"])]],
        [28, 62, 18, 18, 16, 18, 30, 28, 28, 30], money_from=2))

    story.append(para("Theo quầy và kho", heading))
    story.append(table(
        ["Quầy", "Điểm bán", "Bán", "Trả lại", "Tồn cuối kỳ", "Doanh thu", "HH cửa hàng",
         "HH điểm bán", "Phải trả"],
        [[b["booth"], b["venue"], b["sold"], b["returned"], b["on_hand"],
          format_vnd(b["gross"]), format_vnd(b["showroom_commission"]),
          format_vnd(b["host_commission"]), format_vnd(b["payable"])]
         for b in statement["booths"]],
        [28, 70, 16, 16, 20, 32, 30, 30, 32], money_from=2))

    if statement["rows"]:
        story.append(para("Chi tiết theo quầy, sản phẩm và tỷ lệ hoa hồng lúc bán", heading))
        story.append(table(
            ["Quầy", "Sản phẩm", "HH cửa hàng", "HH điểm bán", "Số lượng", "Doanh thu",
             "Tiền HH cửa hàng", "Tiền HH điểm bán", "Phải trả"],
            [[r["booth"], f"{r['code']} {r['name']}", _percent(r["showroom_rate_bp"]),
              _percent(r["host_rate_bp"]), r["sold"], format_vnd(r["gross"]),
              format_vnd(r["showroom_commission"]), format_vnd(r["host_commission"]),
              format_vnd(r["payable"])] for r in statement["rows"]],
            [26, 78, 20, 20, 16, 32, 30, 30, 32], money_from=2))

    if statement.get("intakes") or statement.get("returns"):
        story.append(para("Chứng từ nhập và trả hàng trong kỳ", heading))
        docs = [["Nhận ký gửi", i["number"], _moment(i["received_at"]), "Kho trung tâm",
                 i["qty"]] for i in statement.get("intakes") or ()]
        docs += [["Trả lại chủ thể", r["number"], _moment(r["returned_at"]), r["location"],
                  r["qty"]] for r in statement.get("returns") or ()]
        story.append(table(["Loại", "Số chứng từ", "Thời điểm", "Nơi", "Số lượng"], docs,
                           [40, 35, 40, 40, 25], money_from=4))
    for rent in statement.get("host_rents") or ():
        story.append(para(f"{rent['venue']}: thuê mặt bằng {format_vnd(rent['monthly_rent'])}"
                          "/tháng do cửa hàng chịu, không trừ vào tiền của chủ thể."))
    story.append(Spacer(1, 10 * mm))
    signatures = Table([["Đại diện chủ thể", "Người lập bảng", "Kế toán trưởng"],
                        ["(ký, ghi rõ họ tên)"] * 3], colWidths=[80 * mm] * 3)
    signatures.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, 0), bold),
                                    ("FONTNAME", (0, 1), (-1, 1), regular),
                                    ("FONTSIZE", (0, 0), (-1, -1), 9),
                                    ("ALIGN", (0, 0), (-1, -1), "CENTER")]))
    story.append(signatures)

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=12 * mm,
                            rightMargin=12 * mm, topMargin=12 * mm, bottomMargin=12 * mm,
                            title="Bảng quyết toán hàng ký gửi",
                            author="Văn phòng điều phối OCOP Thanh Hóa")
    doc.build(story)
    return out.getvalue()
