"""Names of roles and kinds as people read them."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# How the screens name the payment methods (receipts print their own, untranslated).
METHOD_LABELS = {"cash": _l("Tiền mặt"), "transfer": _l("Chuyển khoản"), "card": _l("Thẻ")}

# What ``core.services.check_audit_chain`` found wrong, as the audit page and
# ``ocop audit verify`` say it.
CHAIN_PROBLEMS = {
    "edited": _l("nội dung đã bị sửa (không khớp mã băm)"),
    "relinked": _l("không nối tiếp mục trước nó (mục trước đã bị sửa hoặc chèn)"),
    "missing": _l("thiếu các mục trước nó (đã bị xóa)"),
    "unkeyed": _l("mã băm không được ký bằng khóa của quầy (chuỗi đã bị tính lại bởi người "
                  "sửa được cơ sở dữ liệu, hoặc các mục ký sau nó đã bị xóa)"),
}


def role_label(role: str) -> str:
    return {"cashier": _("Thu ngân"), "manager": _("Quản lý quầy"),
            "office": _("Văn phòng"), "admin": _("Quản trị")}.get(role, role)


def barcode_kind_label(kind: str) -> str:
    return {"ean13": "EAN-13", "ean8": "EAN-8", "upca": "UPC-A", "code128": "Code 128",
            "instore": _("Mã nội bộ")}.get(kind, kind)


def venue_kind_label(kind: str) -> str:
    return {"supermarket": _("Siêu thị"), "hotel": _("Khách sạn"), "beach": _("Bãi biển"),
            "other": _("Khác")}.get(kind, kind)
