"""Names of roles and kinds as people read them."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# How the screens name the payment methods (receipts print their own, untranslated).
METHOD_LABELS = {"cash": _l("Tiền mặt"), "transfer": _l("Chuyển khoản"), "card": _l("Thẻ")}


def role_label(role: str) -> str:
    return {"cashier": _("Thu ngân"), "manager": _("Quản lý quầy"),
            "office": _("Văn phòng"), "admin": _("Quản trị")}.get(role, role)


def barcode_kind_label(kind: str) -> str:
    return {"ean13": "EAN-13", "ean8": "EAN-8", "upca": "UPC-A", "code128": "Code 128",
            "instore": _("Mã nội bộ")}.get(kind, kind)


def venue_kind_label(kind: str) -> str:
    return {"supermarket": _("Siêu thị"), "hotel": _("Khách sạn"), "beach": _("Bãi biển"),
            "other": _("Khác")}.get(kind, kind)
