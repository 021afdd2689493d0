"""Pickup slots withdrawn by a calendar change (closed day, new hours) but kept for their orders.

Revision ID: ece48f9ad295
Revises: 7976bbe8c9ae
Create Date: 2026-11-28 17:12:13.278193

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ece48f9ad295'
down_revision = '7976bbe8c9ae'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pickup_slot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('pickup_slot', schema=None) as batch_op:
        batch_op.drop_column('withdrawn')
