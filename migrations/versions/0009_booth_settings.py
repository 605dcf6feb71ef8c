"""booth settings: what a booth manager changes from a page (printer mode, code page, paper)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 09:45:00

One row per booth and key, so a later setting needs no migration of its own. The
environment (or config.toml) still wins over a stored value.
"""
import sqlalchemy as sa
from alembic import op

import core.types

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('booth_setting',
    sa.Column('booth_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('updated_at', core.types.UTCDateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['booth_id'], ['booth.id'],
                            name=op.f('fk_booth_setting_booth_id_booth')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'],
                            name=op.f('fk_booth_setting_updated_by_id_user')),
    sa.PrimaryKeyConstraint('booth_id', 'key', name=op.f('pk_booth_setting'))
    )


def downgrade():
    op.drop_table('booth_setting')
