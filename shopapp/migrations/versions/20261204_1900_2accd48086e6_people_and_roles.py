"""People and roles: invitations to a venue role (no shop), and the audit of role changes.

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


def downgrade():
    op.drop_table('role_change')
    op.execute("DELETE FROM shop_invitation WHERE shop_id IS NULL")
    with op.batch_alter_table('shop_invitation', schema=None) as batch_op:
        batch_op.alter_column('shop_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('role')
