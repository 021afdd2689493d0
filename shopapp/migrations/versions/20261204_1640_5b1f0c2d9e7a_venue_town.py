"""The town the venue serves, set by `flask setup` and shown with the venue's name.

Revision ID: 5b1f0c2d9e7a
Revises: ece48f9ad295
Create Date: 2026-12-04 16:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b1f0c2d9e7a'
down_revision = 'ece48f9ad295'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('venue', schema=None) as batch_op:
        batch_op.add_column(sa.Column('town', sa.String(length=120), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('venue', schema=None) as batch_op:
        batch_op.drop_column('town')
