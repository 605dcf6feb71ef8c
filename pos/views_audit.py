"""“Nhật ký kiểm toán”: the manager checks the booth's audit chain and reads its latest
entries (the same check as ``ocop audit verify``)."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.auth import allow
from core.extensions import db
from core.models import AuditEntry
from core.services import check_audit_chain
from pos.context import current_booth
from pos.labels import CHAIN_PROBLEMS

bp = Blueprint("audit", __name__)

LATEST = 100
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
                           problems=CHAIN_PROBLEMS)
