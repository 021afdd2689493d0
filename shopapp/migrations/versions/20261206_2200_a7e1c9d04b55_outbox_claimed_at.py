"""Outbox jobs: when a worker's batch last took the job (a batch also takes jobs still waiting in the queue).

Revision ID: a7e1c9d04b55
Revises: c4a9e2f71b36
Create Date: 2026-12-06 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7e1c9d04b55'
down_revision = 'c4a9e2f71b36'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_job') as batch_op:
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_job') as batch_op:
        batch_op.drop_column('claimed_at')
