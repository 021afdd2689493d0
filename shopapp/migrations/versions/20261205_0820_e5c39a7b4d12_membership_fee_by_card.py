"""The yearly membership fee paid by card: the fee's method and PaymentIntent, and the card attempts.

Revision ID: e5c39a7b4d12
Revises: d4b28f6a3c01
Create Date: 2026-12-05 08:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5c39a7b4d12'
down_revision = 'd4b28f6a3c01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('membership_fee', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stripe_payment_intent_id', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_membership_fee_stripe_payment_intent_id'),
                                          ['stripe_payment_intent_id'])
        batch_op.drop_constraint(batch_op.f('ck_membership_fee_method_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_membership_fee_method_known'), "method IN ('desk', 'card')")
    op.create_table(
        'membership_card_payment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('amount_cents', sa.Integer(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('stripe_payment_intent_id', sa.String(length=255), nullable=True),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('succeeded_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('amount_cents > 0', name=op.f('ck_membership_card_payment_amount_positive')),
        sa.CheckConstraint("status IN ('pending', 'succeeded', 'failed', 'expired')",
                           name=op.f('ck_membership_card_payment_status_known')),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_membership_card_payment_user_id_user_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_membership_card_payment')),
        sa.UniqueConstraint('stripe_payment_intent_id',
                            name=op.f('uq_membership_card_payment_stripe_payment_intent_id')),
        sa.UniqueConstraint('user_id', 'year', name=op.f('uq_membership_card_payment_user_id_year')),
    )


def downgrade():
    op.drop_table('membership_card_payment')
    with op.batch_alter_table('membership_fee', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_membership_fee_method_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_membership_fee_method_known'), "method IN ('desk')")
        batch_op.drop_constraint(batch_op.f('uq_membership_fee_stripe_payment_intent_id'), type_='unique')
        batch_op.drop_column('stripe_payment_intent_id')
