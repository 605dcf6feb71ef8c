"""Manager approval at the till (price override, discount, a big cash difference).

Given in the request as ``approved_by``: a manager's API token, or
``{"username", "password"}`` typed at the till. A manager or admin working the till
approves their own actions. Checking a password is slow on purpose, so a sale checks it
before it takes the booth's write lock.
"""

from __future__ import annotations

import hashlib

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from core.errors import TooManyAttempts
from core.models import Booth, LoginFailure, User
from core.services import dummy_password_hash, user_for_token
from pos.counter.common import (
    APPROVAL_LOCKOUT,
    APPROVAL_MAX_FAILURES,
    Approval,
    BadApproval,
    is_manager_of,
    now,
)


def approval_place(booth: Booth, actor: User, device: str) -> str:
    """Where wrong approvals are counted: this booth, this cashier, this device (a
    digest, to fit the failure table's address column)."""
    key = f"{booth.code}|{actor.id}|{device}"
    return "approval:" + hashlib.sha256(key.encode()).hexdigest()[:40]


def resolve_approver(session: Session, *, booth: Booth, actor: User,
                     approval: Approval | None) -> User | None:
    """The manager who approves: the one named in ``approval`` (checked), else the actor
    when they are a manager of this booth, else None.

    Every refusal (unknown name, wrong password, a right password or token of someone who
    is not this booth's manager) answers the same 403 and counts against the requesting
    cashier on their device; after ``APPROVAL_MAX_FAILURES`` within
    ``APPROVAL_LOCKOUT`` that cashier's approvals there are refused (429), nobody else's.
    """
    if approval is None:
        return actor if is_manager_of(actor, booth) else None
    place = approval_place(booth, actor, approval.device)
    failures = session.scalar(select(func.count(LoginFailure.id)).where(
        LoginFailure.remote_addr == place,
        LoginFailure.at > now() - APPROVAL_LOCKOUT)) or 0
    if failures >= APPROVAL_MAX_FAILURES:
        raise TooManyAttempts(_("Nhập sai mật khẩu quản lý quá nhiều lần. Vui lòng thử "
                                "lại sau %(m)d phút.", m=APPROVAL_LOCKOUT.seconds // 60))
    approver, tried = None, "token"
    if approval.token:
        approver = user_for_token(session, approval.token)
    elif approval.username:
        tried = approval.username.strip().lower()[:64]
        candidate = session.scalar(select(User).where(User.username == tried))
        if candidate is None:
            check_password_hash(dummy_password_hash(), approval.password or "")
        elif check_password_hash(candidate.password_hash, approval.password or ""):
            approver = candidate
    if not is_manager_of(approver, booth):
        raise BadApproval(
            _("Thông tin duyệt của quản lý không đúng."), field="approved_by",
            after_rollback=lambda s: s.add(LoginFailure(username=tried, remote_addr=place)))
    return approver
