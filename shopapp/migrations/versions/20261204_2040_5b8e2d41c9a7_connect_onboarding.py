"""Stripe Connect onboarding by the shops: the connected account's state on the shop, and payouts held
until the account can receive them.

Revision ID: 5b8e2d41c9a7
Revises: b81d2c4e9f13
Create Date: 2026-12-04 20:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b8e2d41c9a7'
down_revision = 'b81d2c4e9f13'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('charges_enabled', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('payouts_enabled', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('details_submitted', sa.Boolean(), nullable=True))
    with op.batch_alter_table('payout', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_payout_status_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_payout_status_known'),
                                         "status IN ('pending', 'paid', 'failed', 'held')")


def downgrade():
    op.execute("UPDATE payout SET status = 'pending' WHERE status = 'held'")
    with op.batch_alter_table('payout', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_payout_status_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_payout_status_known'), "status IN ('pending', 'paid', 'failed')")
    # Not in batch mode: SQLite drops a column in place, and rebuilding `shop` would trip over the
    # product search triggers that name it.
    op.drop_column('shop', 'details_submitted')
    op.drop_column('shop', 'payouts_enabled')
    op.drop_column('shop', 'charges_enabled')
