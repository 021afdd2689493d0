"""Products: a partial index of the active products' (shop_id, id), so that the lists' count reads it alone.

Revision ID: b8f2d0e15c66
Revises: a7e1c9d04b55
Create Date: 2026-12-07 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8f2d0e15c66'
down_revision = 'a7e1c9d04b55'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('product') as batch_op:
        batch_op.create_index('ix_product_active_shop_id_id', ['shop_id', 'id'], unique=False,
                              sqlite_where=sa.text('is_active IS 1'), postgresql_where=sa.text('is_active IS true'))


def downgrade():
    with op.batch_alter_table('product') as batch_op:
        batch_op.drop_index('ix_product_active_shop_id_id', sqlite_where=sa.text('is_active IS 1'),
                            postgresql_where=sa.text('is_active IS true'))
