"""Standing orders ("mon panier de la semaine"): their lines, their occurrences, and the orders they made.

Revision ID: c4a9e2f71b36
Revises: f6d4ab8c5e23
Create Date: 2026-12-05 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4a9e2f71b36'
down_revision = 'f6d4ab8c5e23'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'standing_order',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('every_weeks', sa.Integer(), nullable=False),
        sa.Column('weekday', sa.Integer(), nullable=False),
        sa.Column('pickup_time', sa.Time(), nullable=False),
        sa.Column('anchor_date', sa.Date(), nullable=False),
        sa.Column('payment_method', sa.String(length=12), nullable=False),
        sa.Column('stripe_customer_id', sa.String(length=64), nullable=True),
        sa.Column('stripe_setup_intent_id', sa.String(length=64), nullable=True),
        sa.Column('stripe_payment_method_id', sa.String(length=64), nullable=True),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('active', 'paused', 'ended')", name=op.f('ck_standing_order_status_known')),
        sa.CheckConstraint('every_weeks IN (1, 2)', name=op.f('ck_standing_order_every_one_or_two_weeks')),
        sa.CheckConstraint('weekday BETWEEN 1 AND 7', name=op.f('ck_standing_order_weekday_iso')),
        sa.CheckConstraint("payment_method IN ('at_pickup', 'card')",
                           name=op.f('ck_standing_order_payment_method_known')),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_standing_order_user_id_user_account'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_standing_order')),
    )
    op.create_index('ix_standing_order_user_id', 'standing_order', ['user_id'], unique=False)
    op.create_index('ix_standing_order_status', 'standing_order', ['status'], unique=False)
    op.create_table(
        'standing_order_line',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('standing_order_id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.CheckConstraint('quantity BETWEEN 1 AND 99', name=op.f('ck_standing_order_line_quantity_in_range')),
        sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_standing_order_line_product_id_product'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['standing_order_id'], ['standing_order.id'],
                                name=op.f('fk_standing_order_line_standing_order_id_standing_order'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_standing_order_line')),
        sa.UniqueConstraint('standing_order_id', 'product_id',
                            name=op.f('uq_standing_order_line_standing_order_id_product_id')),
    )
    op.create_table(
        'standing_occurrence',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('standing_order_id', sa.Integer(), nullable=False),
        sa.Column('pickup_date', sa.Date(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=True),
        sa.Column('outcome', sa.String(length=24), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('placed', 'awaiting_payment', 'skipped_by_resident', 'nothing_available', 'no_slot', "
            "'payment_failed')", name=op.f('ck_standing_occurrence_outcome_known')),
        sa.ForeignKeyConstraint(['order_id'], ['customer_order.id'],
                                name=op.f('fk_standing_occurrence_order_id_customer_order'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['standing_order_id'], ['standing_order.id'],
                                name=op.f('fk_standing_occurrence_standing_order_id_standing_order'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_standing_occurrence')),
        sa.UniqueConstraint('standing_order_id', 'pickup_date',
                            name=op.f('uq_standing_occurrence_standing_order_id_pickup_date')),
    )
    # Plain ADD COLUMN (no table copy on SQLite, where the search triggers name this table's neighbours):
    # SQLite takes the foreign key inline on a column that defaults to NULL; PostgreSQL as a constraint.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE customer_order ADD COLUMN standing_order_id INTEGER '
                   'CONSTRAINT fk_customer_order_standing_order_id_standing_order '
                   'REFERENCES standing_order (id)')
    else:
        op.add_column('customer_order', sa.Column('standing_order_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_customer_order_standing_order_id_standing_order'), 'customer_order',
                              'standing_order', ['standing_order_id'], ['id'])


def downgrade():
    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_customer_order_standing_order_id_standing_order'), type_='foreignkey')
        batch_op.drop_column('standing_order_id')
    op.drop_table('standing_occurrence')
    op.drop_table('standing_order_line')
    op.drop_index('ix_standing_order_status', table_name='standing_order')
    op.drop_index('ix_standing_order_user_id', table_name='standing_order')
    op.drop_table('standing_order')
