"""Confirmed e-mail addresses, and the association's choice to require one before ordering.

Accounts that exist before this revision count as confirmed from their creation: they were made before
addresses were checked, and nobody should be stopped at checkout for it.

Revision ID: a3c94e1f7b20
Revises: 2accd48086e6
Create Date: 2026-12-04 19:35:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3c94e1f7b20'
down_revision = '2accd48086e6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_confirmed_at', sa.DateTime(timezone=True), nullable=True))
    op.execute('UPDATE user_account SET email_confirmed_at = created_at')
    with op.batch_alter_table('venue', schema=None) as batch_op:
        batch_op.add_column(sa.Column('require_confirmed_email', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('venue', schema=None) as batch_op:
        batch_op.drop_column('require_confirmed_email')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('email_confirmed_at')
