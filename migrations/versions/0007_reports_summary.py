"""reports summary: refunds in the daily sales summary, a monthly one, receipts per booth-day

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 09:15:00

The office's sales reports read these summaries instead of the sale lines; both are kept
by the ingest in the same transaction as the events. The backfill rebuilds them from the
rows already held, by the same rules (a receipt counts on its shift's business day, voided
receipts count nowhere, a refund subtracts on the day it was paid back).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


BACKFILL_DAILY = """
INSERT INTO sales_daily (business_day, booth_id, product_id, qty, amount, receipts,
                         refund_qty, refund_amount)
SELECT sh.business_day, s.booth_id, l.product_id,
       SUM(CASE WHEN s.kind = 'sale' THEN l.qty ELSE -l.qty END),
       SUM(CASE WHEN s.kind = 'sale' THEN l.amount ELSE -l.amount END),
       COUNT(DISTINCT CASE WHEN s.kind = 'sale' THEN s.id END),
       SUM(CASE WHEN s.kind = 'refund' THEN l.qty ELSE 0 END),
       SUM(CASE WHEN s.kind = 'refund' THEN l.amount ELSE 0 END)
FROM sale_line l JOIN sale s ON s.id = l.sale_id JOIN shift sh ON sh.id = s.shift_id
WHERE s.status = 'completed'
GROUP BY sh.business_day, s.booth_id, l.product_id
"""

# The month of a business day, its first day, in each dialect.
MONTH_OF = {"postgresql": "CAST(date_trunc('month', business_day) AS DATE)",
            "sqlite": "date(business_day, 'start of month')"}

BACKFILL_MONTHLY = """
INSERT INTO sales_monthly (month, booth_id, product_id, qty, amount, receipts, refund_qty,
                           refund_amount)
SELECT {month}, booth_id, product_id, SUM(qty), SUM(amount), SUM(receipts), SUM(refund_qty),
       SUM(refund_amount)
FROM sales_daily GROUP BY {month}, booth_id, product_id
"""

BACKFILL_BOOTH = """
INSERT INTO sales_daily_booth (business_day, booth_id, receipts, refund_receipts)
SELECT sh.business_day, s.booth_id,
       SUM(CASE WHEN s.kind = 'sale' THEN 1 ELSE 0 END),
       SUM(CASE WHEN s.kind = 'refund' THEN 1 ELSE 0 END)
FROM sale s JOIN shift sh ON sh.id = s.shift_id
WHERE s.status = 'completed'
GROUP BY sh.business_day, s.booth_id
"""


def upgrade():
    with op.batch_alter_table('sales_daily', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refund_qty', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('refund_amount', sa.BigInteger(), nullable=False,
                                      server_default='0'))
    op.create_table('sales_daily_booth',
    sa.Column('business_day', sa.Date(), nullable=False),
    sa.Column('booth_id', sa.Integer(), nullable=False),
    sa.Column('receipts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('refund_receipts', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['booth_id'], ['booth.id'],
                            name=op.f('fk_sales_daily_booth_booth_id_booth')),
    sa.PrimaryKeyConstraint('business_day', 'booth_id', name=op.f('pk_sales_daily_booth'))
    )
    op.create_table('sales_monthly',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('booth_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('qty', sa.Integer(), server_default='0', nullable=False),
    sa.Column('amount', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('receipts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('refund_qty', sa.Integer(), server_default='0', nullable=False),
    sa.Column('refund_amount', sa.BigInteger(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['booth_id'], ['booth.id'],
                            name=op.f('fk_sales_monthly_booth_id_booth')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'],
                            name=op.f('fk_sales_monthly_product_id_product')),
    sa.PrimaryKeyConstraint('month', 'booth_id', 'product_id', name=op.f('pk_sales_monthly'))
    )
    # Rebuilt from the rows held: the old per-line receipt count becomes per receipt.
    op.execute("DELETE FROM sales_daily")
    op.execute(BACKFILL_DAILY)
    op.execute(BACKFILL_MONTHLY.format(month=MONTH_OF[op.get_bind().dialect.name]))
    op.execute(BACKFILL_BOOTH)


def downgrade():
    op.drop_table('sales_daily_booth')
    op.drop_table('sales_monthly')
    with op.batch_alter_table('sales_daily', schema=None) as batch_op:
        batch_op.drop_column('refund_amount')
        batch_op.drop_column('refund_qty')
