"""A product's net quantity (g or ml) for its price per kilogram or litre; alcoholic categories.

Revision ID: b7e41c9a5d28
Revises: 5b8e1d29c7a4
Create Date: 2026-12-04 20:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e41c9a5d28'
down_revision = '5b8e1d29c7a4'
branch_labels = None
depends_on = None

ALCOHOLIC_CATEGORIES = ('vins-spiritueux', 'vins-rouges', 'vins-blancs', 'vins-roses', 'bieres-artisanales',
                        'cidres', 'spiritueux')


def upgrade():
    # Plain ADD COLUMN (no table copy on SQLite, where the search triggers name these tables).
    op.add_column('product', sa.Column('net_quantity', sa.Integer(), nullable=True))
    op.add_column('product', sa.Column('net_unit', sa.String(length=2), nullable=True))
    op.add_column('category', sa.Column('is_alcoholic', sa.Boolean(), server_default=sa.false(), nullable=False))
    # The default tree's wine, beer, cider and spirits categories.
    category = sa.table('category', sa.column('slug', sa.String), sa.column('is_alcoholic', sa.Boolean))
    op.execute(category.update().where(category.c.slug.in_(ALCOHOLIC_CATEGORIES)).values(is_alcoholic=True))


def downgrade():
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.drop_column('is_alcoholic')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('net_unit')
        batch_op.drop_column('net_quantity')
