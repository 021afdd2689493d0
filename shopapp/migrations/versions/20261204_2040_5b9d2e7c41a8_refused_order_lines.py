"""A shop refuses one line of its part, with a reason.

Revision ID: 5b9d2e7c41a8
Revises: 5b8e2d41c9a7
Create Date: 2026-12-04 20:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b9d2e7c41a8'
down_revision = '5b8e2d41c9a7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refused_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('refusal_reason', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.drop_column('refusal_reason')
        batch_op.drop_column('refused_at')
