"""A shop's banner image, apart from its logo.

Revision ID: f6d4ab8c5e23
Revises: e5c39a7b4d12
Create Date: 2026-12-05 08:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f6d4ab8c5e23'
down_revision = 'e5c39a7b4d12'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD / DROP COLUMN: no copy of the shop table (SQLite search triggers name it).
    op.add_column('shop', sa.Column('banner_path', sa.String(length=255), nullable=True))


def downgrade():
    op.drop_column('shop', 'banner_path')
