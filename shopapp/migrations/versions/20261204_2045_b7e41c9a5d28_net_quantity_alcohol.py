"""A product's net quantity (g or ml) for its price per kilogram or litre; alcoholic categories.

Revision ID: b7e41c9a5d28
Revises: 66def476c373
Create Date: 2026-12-04 20:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e41c9a5d28'
down_revision = '66def476c373'
branch_labels = None
depends_on = None

ALCOHOLIC_CATEGORIES = ('vins-spiritueux', 'vins-rouges', 'vins-blancs', 'vins-roses', 'bieres-artisanales',
                        'cidres', 'spiritueux')


def upgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('net_quantity', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('net_unit', sa.String(length=2), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_product_net_quantity_known'),
            "(net_quantity IS NULL AND net_unit IS NULL) OR "
            "(net_quantity > 0 AND net_quantity <= 1000000 AND net_unit IN ('g', 'ml'))")
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_alcoholic', sa.Boolean(), server_default=sa.false(), nullable=False))
    # The default tree's wine, beer, cider and spirits categories.
    category = sa.table('category', sa.column('slug', sa.String), sa.column('is_alcoholic', sa.Boolean))
    op.execute(category.update().where(category.c.slug.in_(ALCOHOLIC_CATEGORIES)).values(is_alcoholic=True))


def downgrade():
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.drop_column('is_alcoholic')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_product_net_quantity_known'), type_='check')
        batch_op.drop_column('net_unit')
        batch_op.drop_column('net_quantity')
