"""An optional yearly membership fee: its amount on the venue, and each fee received at the desk.

Revision ID: b81d2c4e9f13
Revises: 66def476c373
Create Date: 2026-12-04 20:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b81d2c4e9f13'
down_revision = '66def476c373'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('venue', schema=None) as batch_op:
        batch_op.add_column(sa.Column('membership_fee_cents', sa.Integer(), server_default='0', nullable=False))
    op.create_table(
        'membership_fee',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('member_name', sa.String(length=120), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('amount_cents', sa.Integer(), nullable=False),
        sa.Column('method', sa.String(length=10), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('paid_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('amount_cents > 0', name=op.f('ck_membership_fee_amount_positive')),
        sa.CheckConstraint("method IN ('desk')", name=op.f('ck_membership_fee_method_known')),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_membership_fee_user_id_user_account'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'],
                                name=op.f('fk_membership_fee_recorded_by_id_user_account'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_membership_fee')),
        sa.UniqueConstraint('user_id', 'year', name=op.f('uq_membership_fee_user_id_year')),
    )


def downgrade():
    op.drop_table('membership_fee')
    with op.batch_alter_table('venue', schema=None) as batch_op:
        batch_op.drop_column('membership_fee_cents')
