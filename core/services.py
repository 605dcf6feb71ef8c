"""Rules about people and the audit trail, as plain functions that flush, never commit."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session, joinedload
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from core.errors import N_, Conflict, DomainError, NotFound, TooManyAttempts, Unauthorized
from core.models import USER_ROLES, ApiToken, AuditEntry, Booth, LoginFailure, User
from core.types import new_uuid, utcnow

MIN_PASSWORD_LENGTH = 8
# zxcvbn's score (0–4): 3 is "safely unguessable" for an online attack.
MIN_PASSWORD_SCORE = 3
TOKEN_BYTES = 32

# What zxcvbn found easiest to guess, said in Vietnamese.
_WEAKNESS_HINTS = {
    "dictionary": N_("nó là (hoặc chứa) một mật khẩu hay từ rất phổ biến"),
    "spatial": N_("nó là một dãy phím liền nhau trên bàn phím (như qwerty)"),
    "repeat": N_("nó lặp lại một ký tự hay một cụm (như aaaa, abcabc)"),
    "sequence": N_("nó là một dãy liên tiếp (như abcd, 1234)"),
    "date": N_("nó là một ngày tháng hoặc một năm"),
    "regex": N_("nó là một ngày tháng hoặc một năm"),
}


class WeakPassword(DomainError):
    code = "weak_password"


def check_password_strength(password: str, *, username: str = "") -> None:
    """Refuse passwords a cashier's neighbour could guess (length, the user's name, and
    zxcvbn's estimate of the guesses needed); raise with the reason in Vietnamese."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            _("Mật khẩu phải có ít nhất %(n)d ký tự.", n=MIN_PASSWORD_LENGTH), field="password"
        )
    if username and username.lower() in password.lower():
        raise WeakPassword(_("Mật khẩu không được chứa tên đăng nhập."), field="password")
    result = zxcvbn(password[:100], user_inputs=[username] if username else [])
    if result["score"] < MIN_PASSWORD_SCORE:
        patterns = [match.get("pattern") for match in result.get("sequence", [])]
        hint = next((_WEAKNESS_HINTS[p] for p in patterns if p in _WEAKNESS_HINTS), None)
        if hint:
            raise WeakPassword(_("Mật khẩu quá dễ đoán: %(why)s. Hãy ghép vài từ ít gặp, "
                                 "thêm số hoặc dấu gạch.", why=_(hint)), field="password")
        raise WeakPassword(_("Mật khẩu quá dễ đoán. Hãy ghép vài từ ít gặp, thêm số hoặc "
                             "dấu gạch."), field="password")


def create_user(session: Session, *, username: str, password: str, role: str,
                booth_code: str | None = None, full_name: str = "",
                hash_method: str = "scrypt") -> User:
    """Add a person who can sign in; booth staff must name their booth."""
    username = username.strip().lower()
    if not username or len(username) > 64 or not all(c.isalnum() or c in "._-" for c in username):
        raise DomainError(
            _("Tên đăng nhập chỉ gồm chữ, số và . _ - (tối đa 64 ký tự)."), field="username"
        )
    if role not in USER_ROLES:
        raise DomainError(
            _("Vai trò không hợp lệ: %(role)s (cashier, manager, office, admin).", role=role),
            field="role",
        )
    booth = None
    if booth_code:
        booth = session.scalar(select(Booth).where(Booth.code == booth_code.upper()))
        if booth is None:
            raise NotFound(_("Không có quầy %(code)s.", code=booth_code), field="booth")
    if role in ("cashier", "manager") and booth is None:
        raise DomainError(_("Thu ngân và quản lý quầy phải thuộc một quầy (--booth)."),
                          field="booth")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(_("Tên đăng nhập %(name)s đã tồn tại.", name=username), field="username")
    check_password_strength(password, username=username)
    user = User(username=username, role=role, booth=booth, full_name=full_name,
                password_hash=generate_password_hash(password, method=hash_method))
    session.add(user)
    session.flush()
    return user


@functools.cache
def dummy_password_hash(method: str = "scrypt") -> str:
    """A hash of no one's password, made with the method real passwords use."""
    return generate_password_hash(secrets.token_hex(16), method=method)


def recent_failures(session: Session, *, username: str, remote_addr: str,
                    window: timedelta) -> int:
    return session.scalar(
        select(func.count(LoginFailure.id)).where(
            LoginFailure.username == username,
            LoginFailure.remote_addr == remote_addr,
            LoginFailure.at > utcnow() - window,
        )
    ) or 0


def authenticate(session: Session, *, username: str, password: str, remote_addr: str,
                 max_failures: int = 5, lockout: timedelta = timedelta(minutes=15),
                 booth_code: str | None = None, hash_method: str = "scrypt") -> User:
    """Check a sign-in. After ``max_failures`` failures for one name from one address
    within ``lockout``, refuse even the right password until the window passes."""
    username = username.strip().lower()
    if recent_failures(session, username=username, remote_addr=remote_addr,
                       window=lockout) >= max_failures:
        raise TooManyAttempts(
            _("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau %(m)d phút.",
              m=int(lockout.total_seconds() // 60))
        )
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        # Hash anyway, so an unknown name takes as long to refuse as a wrong password.
        check_password_hash(dummy_password_hash(hash_method), password)
    if user is None or not check_password_hash(user.password_hash, password):
        session.add(LoginFailure(username=username, remote_addr=remote_addr))
        session.flush()
        raise Unauthorized(_("Sai tên đăng nhập hoặc mật khẩu."), code="bad_credentials")
    if not user.active:
        raise Unauthorized(_("Tài khoản đã bị khóa."), code="user_disabled")
    check_user_booth(user, booth_code)
    session.execute(delete(LoginFailure).where(LoginFailure.username == username,
                                               LoginFailure.remote_addr == remote_addr))
    return user


def check_user_booth(user: User, booth_code: str | None) -> None:
    """Staff of another booth are no one here: refused at sign-in and on every request."""
    if booth_code and user.booth is not None and user.booth.code != booth_code:
        raise Unauthorized(
            _("Tài khoản thuộc quầy %(theirs)s, không phải quầy này (%(ours)s).",
              theirs=user.booth.code, ours=booth_code),
            code="wrong_booth",
        )


def end_sessions(session: Session, *, user: User) -> None:
    """Sign the user out everywhere: every session cookie issued so far stops working."""
    user.session_version += 1
    session.flush()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, *, user: User, label: str = "") -> tuple[ApiToken, str]:
    """Issue a Bearer token; the plain token is returned once and never stored."""
    plain = "ocop_" + secrets.token_urlsafe(TOKEN_BYTES)
    token = ApiToken(user=user, token_hash=hash_token(plain), prefix=plain[:12], label=label)
    session.add(token)
    session.flush()
    return token, plain


# Every API call runs this: the active user of a live token and their booth in one
# statement, built once; only the user and booth become objects.
_TOKEN_USER = (select(User).join(ApiToken, ApiToken.user_id == User.id)
               .where(ApiToken.token_hash == bindparam("token_hash"),
                      ApiToken.revoked_at.is_(None), User.active.is_(True))
               .options(joinedload(User.booth)))


def user_for_token(session: Session, plain: str) -> User | None:
    """The active user behind a token that has not been revoked, or None."""
    return session.scalar(_TOKEN_USER, {"token_hash": hash_token(plain)})


def revoke_token(session: Session, *, prefix: str) -> ApiToken:
    """Revoke a token by the prefix shown when it was created."""
    token = session.scalar(select(ApiToken).where(ApiToken.prefix == prefix))
    if token is None:
        raise NotFound(_("Không có mã truy cập %(prefix)s.", prefix=prefix))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    session.flush()
    return token


def _canonical(prev_hash: str, fields: dict) -> bytes:
    return (prev_hash + json.dumps(fields, sort_keys=True, ensure_ascii=False,
                                   default=str)).encode()


def legacy_entry_hash(prev_hash: str, fields: dict) -> str:
    """The unkeyed SHA-256 of entries written before the chain was keyed: anyone can
    compute it, so it is accepted only in the prefix a keyed entry seals."""
    return hashlib.sha256(_canonical(prev_hash, fields)).hexdigest()


def entry_mac(key: str, prev_hash: str, fields: dict) -> str:
    """HMAC-SHA256 of an entry and its predecessor's MAC, with a key kept outside the
    database: whoever edits the database file cannot re-sign the chain."""
    return hmac.new(key.encode(), _canonical(prev_hash, fields), hashlib.sha256).hexdigest()


def audit_key() -> str:
    """The running app's audit key (``OCOP_AUDIT_KEY`` or the instance's ``audit_key``)."""
    return current_app.config["OCOP_AUDIT_KEY"]


def audit_fields(entry) -> dict:
    """What an entry's MAC covers (any object with the entry's attributes)."""
    return {
        "id": entry.id, "seq": entry.seq, "booth_id": entry.booth_id, "at": entry.at.isoformat(),
        "actor_id": entry.actor_id, "approver_id": entry.approver_id, "action": entry.action,
        "target_type": entry.target_type, "target_id": entry.target_id,
        "before": entry.before, "after": entry.after, "reason": entry.reason,
    }


def _of_chain(booth_id: int | None):
    """The entries of one booth's chain (None: the office's own)."""
    return AuditEntry.booth_id.is_(None) if booth_id is None else AuditEntry.booth_id == booth_id


def _chain_query(booth_id: int | None):
    return select(AuditEntry).where(_of_chain(booth_id))


def record_audit(session: Session, *, action: str, actor: User | None,
                 booth: Booth | None = None, approver: User | None = None,
                 target_type: str = "", target_id: str = "", before: dict | None = None,
                 after: dict | None = None, reason: str = "",
                 at: datetime | None = None) -> AuditEntry:
    """Append an audit entry chained (HMAC) to the booth's previous one, so an edit, an
    insertion or a recomputed chain is detectable."""
    booth_id = booth.id if booth is not None else None
    last = session.scalar(_chain_query(booth_id).order_by(AuditEntry.seq.desc()).limit(1))
    entry = AuditEntry(
        booth_id=booth_id, actor_id=actor.id if actor else None,
        approver_id=approver.id if approver else None, action=action,
        target_type=target_type, target_id=str(target_id), before=before, after=after,
        reason=reason, at=at or utcnow(),
    )
    entry.id = new_uuid()
    entry.seq = last.seq + 1 if last else 1
    entry.prev_hash = last.hash if last else ""
    entry.hash = entry_mac(audit_key(), entry.prev_hash, audit_fields(entry))
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainCheck:
    """One booth's audit chain, checked: how many entries, and the first bad one with
    what is wrong with it (``edited``: its content no longer matches its MAC;
    ``relinked``: it does not follow the entry before it; ``missing``: entries before
    it are gone; ``unkeyed``: its hash was computed without the key, so the chain was
    recomputed by someone who could edit the database)."""

    booth_id: int | None
    entries: int
    first_bad: AuditEntry | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.first_bad is None


def _walk(entries, key: str):
    """Yield (entry, problem) along a chain. Entries chained with plain SHA-256 before
    the key existed pass only as a prefix that a keyed entry then seals: an unkeyed
    entry after a keyed one, or a chain that ends unkeyed, is what a forger who
    recomputed the chain without the key leaves (``unkeyed``)."""
    prev, keyed, unsealed = "", False, None
    for count, entry in enumerate(entries, start=1):
        fields = audit_fields(entry)
        if entry.seq != count:
            problem = "missing"
        elif entry.prev_hash != prev:
            problem = "relinked"
        elif hmac.compare_digest(entry.hash, entry_mac(key, prev, fields)):
            keyed, unsealed, problem = True, None, ""
        elif entry.hash == legacy_entry_hash(prev, fields):
            problem = "unkeyed" if keyed else ""
            unsealed = unsealed or entry
        else:
            problem = "edited"
        yield entry, problem
        prev = entry.hash
    if unsealed is not None:
        yield unsealed, "unkeyed"


def check_audit_chain(session: Session, *, booth_id: int | None,
                      key: str | None = None) -> ChainCheck:
    """Walk a booth's chain in order and stop at the first entry that breaks it."""
    entries = session.scalars(_chain_query(booth_id).order_by(AuditEntry.seq))
    count = 0
    for entry, problem in _walk(entries, key or audit_key()):
        if problem:
            return ChainCheck(booth_id, count, entry, problem)
        count += 1
    return ChainCheck(booth_id, count)


def audit_head(session: Session, *, booth_id: int | None) -> dict | None:
    """The chain's newest entry as central is told of it: ``{seq, mac}``, or None."""
    last = session.execute(select(AuditEntry.seq, AuditEntry.hash).where(_of_chain(booth_id))
                           .order_by(AuditEntry.seq.desc()).limit(1)).first()
    return {"seq": last.seq, "mac": last.hash} if last else None


def audit_mac_at(session: Session, *, booth_id: int | None, seq: int) -> str | None:
    """The MAC of the entry at ``seq`` (None when there is none: it was deleted)."""
    return session.scalar(select(AuditEntry.hash).where(_of_chain(booth_id),
                                                        AuditEntry.seq == seq))


def audit_chains(session: Session) -> list[int | None]:
    """The booths (None: the office's own chain) that have audit entries."""
    return list(session.scalars(select(AuditEntry.booth_id).distinct()))
