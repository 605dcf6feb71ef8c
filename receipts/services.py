"""Receipt-side operations that touch the catalogue or a printer: label sheets and the
printer self-test. Plain functions; they flush, the caller commits."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from stdnum import ean
from stdnum.exceptions import ValidationError

from core.errors import Conflict, DomainError, NotFound
from inventory.barcodes import PRICE_PREFIX, make_instore_code
from inventory.models import Barcode, Product

from .labels import LABEL_LAYOUTS, LabelError, LabelItem, labels_pdf
from .printers import PrinterError, PrintSettings, send

MAX_LABEL_COPIES = 500
"""Most labels of one product in one print job (a few A4 sheets, not a ream)."""


def label_barcode(product: Product) -> str | None:
    """The product's first barcode that can go on a label as EAN-13, or None.

    A ``24…`` price-base code is never printed: it would scan as a price of 0 ₫.
    """
    for barcode in product.barcodes:
        code = barcode.code
        if len(code) != 13 or not code.isdigit() or code.startswith(PRICE_PREFIX):
            continue
        try:
            ean.validate(code)
        except ValidationError:
            continue
        return code
    return None


def ensure_instore_barcode(session: Session, product: Product) -> str:
    """Return the EAN-13 a label for ``product`` carries, adding an in-store code
    (``20…``, from the product id) when the product has none."""
    existing = label_barcode(product)
    if existing:
        return existing
    code = make_instore_code(product.id)
    owner = session.scalar(select(Barcode).where(Barcode.code == code))
    if owner is not None:
        # Only possible if someone typed this product's in-store code onto another one.
        raise Conflict(_("Mã nội bộ %(code)s đã gắn cho sản phẩm khác (mã số %(other)s); "
                         "không tạo được mã vạch cho “%(name)s”.", code=code,
                         other=owner.product_id, name=product.name),
                       code="barcode_taken")
    product.barcodes.append(Barcode(code=code, kind="instore"))
    session.flush()
    return code


def label_item(product: Product, barcode: str) -> LabelItem:
    """What one label says about ``product``."""
    return LabelItem(name=product.name, price=product.price, barcode=barcode,
                     stars=product.stars or 0, producer=product.producer.name,
                     district=product.producer.district,
                     origin_url=product.origin_url or "")


def make_label_sheet(session: Session, *, copies: Mapping[int, int], layout: str,
                     skip: int = 0) -> bytes:
    """The PDF of label sheets for ``{product_id: copies}``, in the given order.

    Products without an EAN-13 get an in-store code first (flushed, so the caller's
    commit keeps it). Raises a DomainError (Vietnamese) for unknown or inactive
    products, bad counts, an unknown layout or nothing to print.
    """
    if layout not in LABEL_LAYOUTS:
        raise DomainError(_("Khổ nhãn không hợp lệ."), field="layout")
    wanted = {pid: n for pid, n in copies.items() if n}
    for n in wanted.values():
        if not isinstance(n, int) or isinstance(n, bool) or not 0 < n <= MAX_LABEL_COPIES:
            raise DomainError(_("Số nhãn mỗi sản phẩm phải là số nguyên từ 0 đến %(max)s.",
                                max=MAX_LABEL_COPIES), field="copies")
    if not wanted:
        raise DomainError(_("Chưa chọn nhãn nào để in: nhập số nhãn cho ít nhất một "
                            "sản phẩm."), field="copies")
    products = {p.id: p for p in session.scalars(
        select(Product).where(Product.id.in_(wanted), Product.active.is_(True))
        .options(selectinload(Product.barcodes), selectinload(Product.producer)))}
    missing = [pid for pid in wanted if pid not in products]
    if missing:
        raise NotFound(_("Không có sản phẩm đang bán mã số %(id)s.", id=missing[0]),
                       field="copies", code="unknown_product")
    items = [(label_item(products[pid], ensure_instore_barcode(session, products[pid])), n)
             for pid, n in wanted.items()]
    try:
        return labels_pdf(items, layout, skip=skip)
    except LabelError as err:
        raise DomainError(str(err), field="labels") from None


SelftestMode = Literal["raster", "text", "both"]


def selftest_pdf() -> bytes:
    """A PDF self-test page for ``pdf://`` folders: the Vietnamese letters as the PDF
    font draws them (a PDF folder cannot take ESC/POS bytes)."""
    from reportlab.lib.units import mm

    from .escpos_out import selftest_letter_lines
    from .layout import RuleRow, TextRow
    from .pdf import ROLL_WIDTH, _rows_pdf

    rows = [TextRow("KIỂM TRA IN TIẾNG VIỆT", "center", bold=True, large=True),
            TextRow("Trang thử máy in PDF: mọi chữ cái tiếng Việt phải hiện đủ dấu.",
                    "center"),
            RuleRow()]
    rows += [TextRow(line) for line in selftest_letter_lines()]
    rows.append(RuleRow())
    return _rows_pdf(rows, page_width=ROLL_WIDTH, page_height=None, margin=4 * mm, size=8.5,
                     large=11, qr_module=2.2, title="Kiểm tra in tiếng Việt",
                     author="OCOP POS Thanh Hóa")


def print_selftest(settings: PrintSettings, *, mode: SelftestMode = "both",
                   timeout: float = 5) -> Path | None:
    """Send the Vietnamese self-test page to the configured printer.

    ESC/POS targets get :func:`receipts.escpos_out.selftest_bytes` (``mode`` chooses the
    raster block, the text blocks or both); a ``pdf://`` folder gets a PDF page and the
    path written is returned. Raises PrinterError (Vietnamese) for ``none`` or a
    failed delivery.
    """
    target = settings.target
    if target.kind == "none":
        raise PrinterError(_("Chưa cấu hình máy in (OCOP_PRINTER=none): đặt OCOP_PRINTER, "
                             "ví dụ escpos+network://192.168.1.50:9100."))
    if target.wants_pdf:
        data = selftest_pdf()
    else:
        from .escpos_out import selftest_bytes

        data = selftest_bytes(mode, paper_mm=settings.paper_mm, codepage=settings.codepage,
                              profile=settings.profile)
    return send(target, data, timeout=timeout)
