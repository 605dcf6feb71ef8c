"""Booth credentials at central: a random 256-bit token per booth, shown once and kept
only as its SHA-256; rotation keeps the old token valid for a grace period; revocation
ends it at once."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFound, Unauthorized
from core.models import Booth
from core.services import hash_token
from core.types import utcnow
from sync.models import BoothCredential

TOKEN_BYTES = 32  # 256 bits
DEFAULT_ROTATION_GRACE = timedelta(days=7)


def booth_by_code(session: Session, code: str) -> Booth:
    booth = session.scalar(select(Booth).where(Booth.code == code.strip().upper()))
    if booth is None:
        raise NotFound(_("Không có quầy %(code)s.", code=code), field="booth",
                       code="unknown_booth")
    return booth


def register_booth(session: Session, *, booth: Booth,
                   grace: timedelta = DEFAULT_ROTATION_GRACE) -> tuple[BoothCredential, str]:
    """Issue the booth's sync token; a token it already had stays valid for ``grace``
    (rotation without a gap), then expires."""
    now = utcnow()
    for old in session.scalars(select(BoothCredential).where(
            BoothCredential.booth_id == booth.id, BoothCredential.revoked_at.is_(None))):
        if old.expires_at is None or old.expires_at > now + grace:
            old.expires_at = now + grace
    plain = "ocopsync_" + secrets.token_urlsafe(TOKEN_BYTES)
    credential = BoothCredential(booth_id=booth.id, token_hash=hash_token(plain),
                                 prefix=plain[:16], created_at=now)
    session.add(credential)
    session.flush()
    return credential, plain


def revoke_credentials(session: Session, *, booth: Booth, prefix: str | None = None) -> int:
    """Revoke the booth's tokens (one, by its prefix, or all); returns how many."""
    query = select(BoothCredential).where(BoothCredential.booth_id == booth.id,
                                          BoothCredential.revoked_at.is_(None))
    if prefix:
        query = query.where(BoothCredential.prefix == prefix)
    revoked = 0
    for credential in session.scalars(query):
        credential.revoked_at = utcnow()
        revoked += 1
    if prefix and not revoked:
        raise NotFound(_("Không có mã đồng bộ %(prefix)s của quầy %(code)s.", prefix=prefix,
                         code=booth.code))
    session.flush()
    return revoked


def booth_for_token(session: Session, plain: str) -> Booth:
    """The booth a sync token names, or 401: unknown, revoked, expired, or booth closed."""
    credential = session.scalar(select(BoothCredential).where(
        BoothCredential.token_hash == hash_token(plain)))
    now = utcnow()
    if credential is None or credential.revoked_at is not None or (
            credential.expires_at is not None and credential.expires_at <= now):
        raise Unauthorized(_("Mã đồng bộ của quầy không hợp lệ, đã hết hạn hoặc bị thu hồi."),
                           code="bad_sync_token")
    if not credential.booth.active:
        raise Unauthorized(_("Quầy %(code)s đã ngừng hoạt động.", code=credential.booth.code),
                           code="booth_inactive")
    return credential.booth
