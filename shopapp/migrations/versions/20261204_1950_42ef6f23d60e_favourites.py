"""Residents' favourite products and shops.

Revision ID: 42ef6f23d60e
Revises: a3c94e1f7b20
Create Date: 2026-12-04 19:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '42ef6f23d60e'
down_revision = 'a3c94e1f7b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'favourite_product',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_favourite_product_product_id_product'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_favourite_product_user_id_user_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_favourite_product')),
        sa.UniqueConstraint('user_id', 'product_id', name=op.f('uq_favourite_product_user_id_product_id')),
    )
    with op.batch_alter_table('favourite_product', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_favourite_product_product_id'), ['product_id'], unique=False)
    op.create_table(
        'favourite_shop',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('shop_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_favourite_shop_shop_id_shop'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_favourite_shop_user_id_user_account'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_favourite_shop')),
        sa.UniqueConstraint('user_id', 'shop_id', name=op.f('uq_favourite_shop_user_id_shop_id')),
    )
    with op.batch_alter_table('favourite_shop', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_favourite_shop_shop_id'), ['shop_id'], unique=False)


def downgrade():
    with op.batch_alter_table('favourite_shop', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_favourite_shop_shop_id'))
    op.drop_table('favourite_shop')
    with op.batch_alter_table('favourite_product', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_favourite_product_product_id'))
    op.drop_table('favourite_product')
