"""hardening: variable-price products, session versions, append-only triggers

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 03:15:00

"""
import sqlalchemy as sa
from alembic import op

from pos import append_only

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


# The columns of ``sale`` at this revision: the trigger compares each but the void's.
SALE_COLUMNS = ("id", "booth_id", "seq", "number", "shift_id", "cashier_id", "created_at",
                "status", "kind", "refund_of_id", "total", "discount_total", "change",
                "approved_by_id", "reason", "void_reason", "voided_by_id", "voided_at",
                "request_hash")


def upgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('variable_price', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False,
                                      server_default='1'))
    dialect = op.get_bind().dialect.name
    for statement in append_only.create_statements(dialect, SALE_COLUMNS):
        op.execute(statement)


def downgrade():
    for statement in append_only.drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_version')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('variable_price')
