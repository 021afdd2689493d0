"""People and roles: invitations to a venue role (no shop), the audit of role changes, and the audit of
the changes shops make to their own details.

Revision ID: 2accd48086e6
Revises: 5b1f0c2d9e7a
Create Date: 2026-12-04 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2accd48086e6'
down_revision = '5b1f0c2d9e7a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('shop_invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=20), nullable=True))
        batch_op.alter_column('shop_id', existing_type=sa.Integer(), nullable=True)
    op.create_table(
        'role_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("action IN ('invited', 'granted', 'removed')", name=op.f('ck_role_change_action_known')),
        sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_role_change_actor_id_user_account'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_role_change_user_id_user_account'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_role_change')),
    )
    op.create_table(
        'shop_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('shop_id', sa.Integer(), nullable=False),
        sa.Column('field', sa.String(length=40), nullable=False),
        sa.Column('old_value', sa.Text(), nullable=False),
        sa.Column('new_value', sa.Text(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_shop_change_actor_id_user_account'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_shop_change_shop_id_shop'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_shop_change')),
    )
    with op.batch_alter_table('shop_change', schema=None) as batch_op:
        batch_op.create_index('ix_shop_change_shop_id', ['shop_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('shop_change', schema=None) as batch_op:
        batch_op.drop_index('ix_shop_change_shop_id')
    op.drop_table('shop_change')
    op.drop_table('role_change')
    op.execute("DELETE FROM shop_invitation WHERE shop_id IS NULL")
    with op.batch_alter_table('shop_invitation', schema=None) as batch_op:
        batch_op.alter_column('shop_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('role')
