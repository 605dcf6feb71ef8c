"""Settings a booth manager changes from a page, kept in the booth's database.

The printer's mode, code page and paper were environment variables (``OCOP_PRINTER_MODE``,
``OCOP_PRINTER_CODEPAGE``, ``OCOP_PAPER``…): a manager cannot change those. They are now
rows of ``booth_setting`` (one per booth and key, so a new setting needs no migration).
What the installer fixed in the environment or ``config.toml`` still wins: the page shows
it and does not offer to change it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.errors import DomainError
from core.extensions import db
from core.models import Booth, User
from core.types import UTCDateTime, utcnow


class BoothSetting(db.Model):
    """One setting of one booth: a key and its value as text, who set it and when."""

    __tablename__ = "booth_setting"

    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


@dataclass(frozen=True)
class Choice:
    """A setting the printer page offers: its config key and the values it may take."""

    key: str
    label: object
    options: dict[str, object]


PRINTER_CHOICES = (
    Choice("OCOP_PRINTER_MODE", _l("Kiểu in"), {
        "raster": _l("Ảnh (raster): chữ có dấu vẽ thành ảnh, máy nào cũng in được"),
        "text": _l("Chữ (text): bảng mã của máy in, in nhanh hơn")}),
    Choice("OCOP_PRINTER_ENCODING", _l("Bảng mã chữ"), {
        "cp1258": _l("Windows-1258 (cp1258)"), "tcvn3": _l("TCVN3 (ABC)")}),
    Choice("OCOP_PRINTER_CODEPAGE", _l("Trang mã của máy in"),
           {str(n): str(n) for n in (52, 30, 31, 27, 94, 0, 16)}),
    Choice("OCOP_PAPER", _l("Khổ giấy"), {"80": _l("80 mm"), "58": _l("58 mm")}),
)
PRINTER_KEYS = tuple(choice.key for choice in PRINTER_CHOICES)


def fixed_keys(config) -> frozenset[str]:
    """The keys the environment or ``config.toml`` set: those win over the database."""
    return frozenset(config.get("OCOP_FIXED_SETTINGS") or ())


def stored(session: Session, booth: Booth) -> dict[str, str]:
    return dict(session.execute(select(BoothSetting.key, BoothSetting.value)
                                .where(BoothSetting.booth_id == booth.id)).all())


def effective_config(session: Session, booth: Booth, config) -> dict:
    """``config`` with the booth's stored settings laid over the keys nobody fixed."""
    fixed = fixed_keys(config)
    merged = dict(config)
    for key, value in stored(session, booth).items():
        if key in PRINTER_KEYS and key not in fixed:
            merged[key] = value
    return merged


def print_settings(session: Session, booth: Booth, config):
    """The printer settings in force: the environment's where it fixed them, else the
    manager's, else the defaults. Raises ``PrinterError`` on a bad value, as
    ``PrintSettings.from_config`` does."""
    from receipts.printers import PrintSettings

    return PrintSettings.from_config(effective_config(session, booth, config))


def print_settings_or_reason(session: Session, booth: Booth, config):
    """The printer in force, or (no printer, the reason) when a value is wrong: a typo in
    OCOP_PRINTER shows on the page that reads it instead of a 500."""
    from receipts.printers import PrinterError, PrinterTarget, PrintSettings

    try:
        return print_settings(session, booth, config), ""
    except PrinterError as err:
        return PrintSettings(target=PrinterTarget("none")), err.message


def save_printer_settings(session: Session, *, booth: Booth, by: User, config,
                          values: dict[str, str]) -> list[str]:
    """Store the manager's printer settings; returns the keys that changed. A value not
    offered, or a key the environment fixed, is refused and nothing is written."""
    fixed = fixed_keys(config)
    current = effective_config(session, booth, config)
    for choice in PRINTER_CHOICES:
        value = values.get(choice.key)
        if value is None or value == str(current.get(choice.key)):
            continue  # unchanged (also a value the page does not list, set elsewhere)
        if choice.key in fixed:
            raise DomainError(_("%(key)s đã được đặt trong cấu hình của quầy nên không đổi "
                                "được ở đây.", key=choice.key), field=choice.key,
                              code="setting_fixed")
        if value not in choice.options:
            raise DomainError(_("Giá trị không hợp lệ cho “%(label)s”.", label=choice.label),
                              field=choice.key, code="bad_setting")
    changed = []
    for choice in PRINTER_CHOICES:
        value = values.get(choice.key)
        if value is None or str(current.get(choice.key)) == value:
            continue
        row = session.get(BoothSetting, (booth.id, choice.key))
        if row is None:
            row = BoothSetting(booth_id=booth.id, key=choice.key, value=value)
            session.add(row)
        row.value, row.updated_at, row.updated_by_id = value, utcnow(), by.id
        changed.append(choice.key)
    session.flush()
    return changed
