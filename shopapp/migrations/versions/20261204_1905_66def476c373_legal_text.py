"""The legal pages' texts (CGV, mentions légales, privacy) as the association writes them.

Revision ID: 66def476c373
Revises: 314a0599d0e8
Create Date: 2026-12-04 19:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '66def476c373'
down_revision = '314a0599d0e8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('legal_text',
    sa.Column('key', sa.String(length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("key IN ('cgv', 'mentions', 'privacy')", name=op.f('ck_legal_text_key_known')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'],
                            name=op.f('fk_legal_text_updated_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_legal_text'))
    )


def downgrade():
    op.drop_table('legal_text')
