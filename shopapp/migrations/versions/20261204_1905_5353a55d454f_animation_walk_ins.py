"""Walk-ins at animations: people the desk let in without an order or booking.

Revision ID: 5353a55d454f
Revises: f70c383997df
Create Date: 2026-12-04 19:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5353a55d454f'
down_revision = 'f70c383997df'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('animation_walk_in',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('animation_id', sa.Integer(), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('seats >= 1', name=op.f('ck_animation_walk_in_seats_positive')),
    sa.ForeignKeyConstraint(['animation_id'], ['animation.id'], name=op.f('fk_animation_walk_in_animation_id_animation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_animation_walk_in_created_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_animation_walk_in'))
    )
    with op.batch_alter_table('animation_walk_in', schema=None) as batch_op:
        batch_op.create_index('ix_animation_walk_in_animation_id', ['animation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('animation_walk_in', schema=None) as batch_op:
        batch_op.drop_index('ix_animation_walk_in_animation_id')
    op.drop_table('animation_walk_in')
