"""“Nhật ký kiểm toán”: the manager checks the booth's audit chain and reads its latest
entries (the same check as ``ocop audit verify``)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.auth import allow
from core.extensions import db
from core.models import AuditEntry
from core.services import check_audit_chain
from pos.context import current_booth

bp = Blueprint("audit", __name__)

LATEST = 100
PROBLEMS = {
    "edited": _l("nội dung đã bị sửa (không khớp mã băm)"),
    "relinked": _l("không nối tiếp mục trước nó (mục trước đã bị sửa hoặc chèn)"),
    "missing": _l("thiếu các mục trước nó (đã bị xóa)"),
    "unkeyed": _l("mã băm không được ký bằng khóa của quầy (chuỗi đã bị tính lại bởi người "
                  "sửa được cơ sở dữ liệu, hoặc các mục ký sau nó đã bị xóa)"),
}


@bp.get("/audit")
@allow("manager")
def audit_log():
    """The chain's state, then the newest entries first."""
    booth = current_booth()
    check = check_audit_chain(db.session, booth_id=booth.id)
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.booth_id == booth.id)
        .options(selectinload(AuditEntry.actor), selectinload(AuditEntry.approver))
        .order_by(AuditEntry.seq.desc()).limit(LATEST)).all()
    return render_template("pos/audit.html", booth=booth, check=check, entries=entries,
                           problems=PROBLEMS)
