"""A bag label code on every shop part: printed with its QR code, scanned or typed at the desk on drop-off.

Existing parts get a fresh code each, then the column becomes required and unique.

Revision ID: 314a0599d0e8
Revises: 5353a55d454f
Create Date: 2026-12-04 19:30:00

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '314a0599d0e8'
down_revision = '5353a55d454f'
branch_labels = None
depends_on = None

# The same alphabet as shopapp.orders.models (copied: a migration must not change when the code does).
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def upgrade():
    with op.batch_alter_table('order_part', schema=None) as batch_op:
        batch_op.add_column(sa.Column('label', sa.String(length=8), nullable=True))

    bind = op.get_bind()
    part = sa.table('order_part', sa.column('id', sa.Integer), sa.column('label', sa.String))
    used = set()
    for (part_id,) in bind.execute(sa.select(part.c.id).order_by(part.c.id)).all():
        label = None
        while label is None or label in used:
            label = "".join(secrets.choice(ALPHABET) for _ in range(6))
        used.add(label)
        bind.execute(sa.update(part).where(part.c.id == part_id).values(label=label))

    with op.batch_alter_table('order_part', schema=None) as batch_op:
        batch_op.alter_column('label', existing_type=sa.String(length=8), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_order_part_label'), ['label'])


def downgrade():
    with op.batch_alter_table('order_part', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_order_part_label'), type_='unique')
        batch_op.drop_column('label')
