"""hardening: variable-price products, session versions

Revision ID: 0004h
Revises: 0003
Create Date: 2026-12-01 03:15:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0004h'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('variable_price', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False,
                                      server_default='1'))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_version')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('variable_price')
