"""Forms of the receipts pages: refund, void and reprint (CSRF is checked for every
cookie-session post in ``core.auth``). They check shapes; the rules (how much is left,
the reason, the shift) stay in the services, which raise ``DomainError``."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, HiddenField, SelectField, StringField
from wtforms.validators import ValidationError

from core.safejson import nfc
from pos.counter import MAX_ID, MAX_LINES, MAX_QTY

try:  # wtforms 3.3 deprecates (value, label) tuples; older versions only know tuples
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover
    def SelectChoice(value: str, label: str) -> tuple[str, str]:  # noqa: N802
        return (value, label)

REFUND_METHODS = {"original": _l("Như khi khách trả"), "cash": _l("Tiền mặt")}


def whole_number(text: str | None) -> int | None:
    """``"12"`` → 12; blank → 0; anything else (``-1``, ``1.5``, ``abc``) → None."""
    text = (text or "").strip()
    if not text:
        return 0
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    return int(text)


class RefundLineForm(Form):
    """One product of the sale; a plain wtforms Form, so no CSRF token of its own."""

    product_id = HiddenField()
    qty = StringField(_l("Số lượng hoàn"))

    def validate_product_id(self, field):
        value = whole_number(field.data)
        if not value or value > MAX_ID:
            raise ValidationError(_("Sản phẩm không hợp lệ."))

    def validate_qty(self, field):
        value = whole_number(field.data)
        if value is None or value > MAX_QTY:
            raise ValidationError(_("Số lượng hoàn phải là số nguyên từ 0 đến %(max)d.",
                                    max=MAX_QTY))


class RefundForm(FlaskForm):
    refund_id = HiddenField()  # a UUID made with the page: a double click refunds once
    lines = FieldList(FormField(RefundLineForm), max_entries=MAX_LINES)
    reason = StringField(_l("Lý do hoàn"), filters=[nfc])
    method = SelectField(_l("Hoàn tiền bằng"), validate_choice=False, default="original",
                         choices=[SelectChoice(k, v) for k, v in REFUND_METHODS.items()])

    def validate_method(self, field):
        if field.data not in REFUND_METHODS:
            raise ValidationError(_("Hình thức hoàn tiền không hợp lệ."))

    def validate_reason(self, field):
        if len(field.data or "") > 500:
            raise ValidationError(_("Lý do quá dài (tối đa 500 ký tự)."))

    def refund_lines(self) -> list[tuple[int, int]]:
        """``[(product_id, qty)]`` of a validated form, rows left at 0 dropped."""
        return [(int(entry.product_id.data), whole_number(entry.qty.data))
                for entry in self.lines if whole_number(entry.qty.data)]

    def refund_method(self) -> str | None:
        """``None`` lets the service pay back the way the customer paid."""
        return None if self.method.data == "original" else self.method.data


class VoidForm(FlaskForm):
    reason = StringField(_l("Lý do hủy"), filters=[nfc])

    def validate_reason(self, field):
        if len(field.data or "") > 500:
            raise ValidationError(_("Lý do quá dài (tối đa 500 ký tự)."))


class ReprintForm(FlaskForm):
    reason = StringField(_l("Lý do in lại"), filters=[nfc])

    def validate_reason(self, field):
        if len(field.data or "") > 300:
            raise ValidationError(_("Lý do in lại quá dài (tối đa 300 ký tự)."))
