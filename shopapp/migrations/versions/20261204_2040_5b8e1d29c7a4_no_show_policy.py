"""What happens to the money of a card-paid order nobody collected: the association's no-show policy.

`refund` (the default, as before nothing was decided) gives it all back; `fee` keeps a fixed fee in
cents, never more than was paid; `pay_shops` pays the shops their share of perishable goods (no product
is told apart as perishable yet: the whole order counts). Each no-show order keeps the policy that applied.

Revision ID: 5b8e1d29c7a4
Revises: 5b9d2e7c41a8
Create Date: 2026-12-04 20:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b8e1d29c7a4'
down_revision = '5b9d2e7c41a8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('venue', schema=None) as batch_op:
        batch_op.add_column(sa.Column('no_show_policy', sa.String(length=16), server_default='refund',
                                      nullable=False))
        batch_op.add_column(sa.Column('no_show_fee_cents', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(op.f('ck_venue_no_show_policy_known'),
                                         "no_show_policy IN ('refund', 'fee', 'pay_shops')")
        batch_op.create_check_constraint(op.f('ck_venue_no_show_fee_non_negative'), 'no_show_fee_cents >= 0')
    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('no_show_policy', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.drop_column('no_show_policy')
    with op.batch_alter_table('venue', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_venue_no_show_fee_non_negative'), type_='check')
        batch_op.drop_constraint(op.f('ck_venue_no_show_policy_known'), type_='check')
        batch_op.drop_column('no_show_fee_cents')
        batch_op.drop_column('no_show_policy')
