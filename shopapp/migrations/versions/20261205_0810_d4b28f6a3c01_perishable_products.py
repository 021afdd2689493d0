"""Perishable products, and what a no-show's perishable lines cost on each part (frozen when marked).

Revision ID: d4b28f6a3c01
Revises: c3a17e5f2b90
Create Date: 2026-12-05 08:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4b28f6a3c01'
down_revision = 'c3a17e5f2b90'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no table copy on SQLite, where the search triggers name the product table).
    op.add_column('product', sa.Column('is_perishable', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('order_part', sa.Column('perishable_cents', sa.Integer(), nullable=True))


def downgrade():
    # Plain DROP COLUMN too (SQLite ≥ 3.35): a batch copy of the product table would break its search triggers.
    op.drop_column('order_part', 'perishable_cents')
    op.drop_column('product', 'is_perishable')
