"""User phone and SMS opt-in, for the SMS versions of pickup notices.

Revision ID: 7976bbe8c9ae
Revises: 3770786301bf
Create Date: 2026-11-28 14:39:48.912601

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7976bbe8c9ae'
down_revision = '3770786301bf'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('sms_opt_in', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('sms_opt_in')
        batch_op.drop_column('phone')

