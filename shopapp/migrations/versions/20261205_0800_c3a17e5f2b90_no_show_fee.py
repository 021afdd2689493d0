"""The fee kept on a card-paid order nobody collected: the association's income, one row per order.

Revision ID: c3a17e5f2b90
Revises: b7e41c9a5d28
Create Date: 2026-12-05 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3a17e5f2b90'
down_revision = 'b7e41c9a5d28'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'no_show_fee',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('amount_cents', sa.Integer(), nullable=False),
        sa.Column('ht_cents', sa.Integer(), nullable=False),
        sa.Column('vat_cents', sa.Integer(), nullable=False),
        sa.Column('vat_rate_bps', sa.Integer(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('amount_cents > 0', name=op.f('ck_no_show_fee_amount_positive')),
        sa.CheckConstraint('ht_cents >= 0 AND vat_cents >= 0', name=op.f('ck_no_show_fee_parts_non_negative')),
        sa.CheckConstraint('ht_cents + vat_cents = amount_cents', name=op.f('ck_no_show_fee_amounts_add_up')),
        sa.ForeignKeyConstraint(['order_id'], ['customer_order.id'],
                                name=op.f('fk_no_show_fee_order_id_customer_order')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_no_show_fee')),
        sa.UniqueConstraint('order_id', name=op.f('uq_no_show_fee_order_id')),
    )


def downgrade():
    op.drop_table('no_show_fee')
