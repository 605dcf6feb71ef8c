"""audit head: central keeps each booth's audit chain head; old unkeyed chains are sealed

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 09:30:00

The audit chain is now an HMAC with a key kept outside the database. Entries written
before this revision carry plain SHA-256 hashes; the upgrade seals each such chain with
one keyed entry (``audit_chain_keyed``) whose MAC covers the last unkeyed hash, so the
old entries still verify, while a chain recomputed later without the key does not (the
check accepts unkeyed entries only as a prefix a keyed entry seals).
"""
from datetime import UTC, datetime
from types import SimpleNamespace
from uuid import uuid4

import sqlalchemy as sa
from alembic import op
from flask import current_app

from core.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

SEAL_ACTION = "audit_chain_keyed"


def _seal_unkeyed_chains() -> None:
    """Append one keyed entry to every chain whose newest entry is not keyed."""
    from core.services import audit_fields, entry_mac, legacy_entry_hash

    key = current_app.config["OCOP_AUDIT_KEY"]
    audit = sa.table(
        "audit_entry", sa.column("id", sa.String), sa.column("booth_id", sa.Integer),
        sa.column("seq", sa.Integer), sa.column("at", UTCDateTime()),
        sa.column("actor_id", sa.Integer), sa.column("approver_id", sa.Integer),
        sa.column("action", sa.String), sa.column("target_type", sa.String),
        sa.column("target_id", sa.String), sa.column("before", sa.JSON),
        sa.column("after", sa.JSON), sa.column("reason", sa.String),
        sa.column("prev_hash", sa.String), sa.column("hash", sa.String))
    bind = op.get_bind()
    booth_ids = bind.execute(sa.select(audit.c.booth_id).distinct()).scalars().all()
    for booth_id in booth_ids:
        where = audit.c.booth_id.is_(None) if booth_id is None else audit.c.booth_id == booth_id
        last = bind.execute(sa.select(audit).where(where).order_by(audit.c.seq.desc())
                            .limit(1)).mappings().first()
        if last is None or last["hash"] != legacy_entry_hash(
                last["prev_hash"], audit_fields(SimpleNamespace(**last))):
            continue  # keyed already (or broken: the check will say so, not hide it)
        seal = SimpleNamespace(
            id=str(uuid4()), booth_id=booth_id, seq=last["seq"] + 1, at=datetime.now(UTC),
            actor_id=None, approver_id=None, action=SEAL_ACTION, target_type="",
            target_id="", before=None, after={"unkeyed_entries": last["seq"]},
            reason="", prev_hash=last["hash"])
        seal.hash = entry_mac(key, seal.prev_hash, audit_fields(seal))
        bind.execute(sa.insert(audit).values(**vars(seal)))


def upgrade():
    with op.batch_alter_table('booth_health', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audit_epoch', sa.String(length=36), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('audit_seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('audit_mac', sa.String(length=64), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('audit_reported_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('audit_alert', sa.Text(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('audit_alert_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('sync_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audit_seq_at_central', sa.Integer(), nullable=True))
    _seal_unkeyed_chains()


def downgrade():
    # The seal entries stay: the audit trail is append-only.
    with op.batch_alter_table('sync_state', schema=None) as batch_op:
        batch_op.drop_column('audit_seq_at_central')
    with op.batch_alter_table('booth_health', schema=None) as batch_op:
        for column in ('audit_alert_at', 'audit_alert', 'audit_reported_at', 'audit_mac',
                       'audit_seq', 'audit_epoch'):
            batch_op.drop_column(column)
