"""Commission invoices and credit notes in one continuous numbering, the parties' legal identities, and
the association's chart of accounts for the FEC export.

Revision ID: f70c383997df
Revises: 42ef6f23d60e
Create Date: 2026-12-04 19:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f70c383997df'
down_revision = '42ef6f23d60e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('legal_identity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=False),
    sa.Column('siret', sa.String(length=14), nullable=False),
    sa.Column('vat_number', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_legal_identity_shop_id_shop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_identity')),
    sa.UniqueConstraint('shop_id', name=op.f('uq_legal_identity_shop_id'))
    )
    counter = op.create_table('invoice_counter',
    sa.Column('name', sa.String(length=20), nullable=False),
    sa.Column('next_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_invoice_counter'))
    )
    op.bulk_insert(counter, [{'name': 'invoice', 'next_number': 1}])
    op.create_table('commission_invoice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('issue_key', sa.String(length=80), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('issue_date', sa.Date(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('credits_invoice_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=255), nullable=False),
    sa.Column('seller_name', sa.String(length=160), nullable=False),
    sa.Column('seller_address', sa.String(length=255), nullable=False),
    sa.Column('seller_siret', sa.String(length=14), nullable=False),
    sa.Column('seller_vat_number', sa.String(length=20), nullable=False),
    sa.Column('buyer_name', sa.String(length=160), nullable=False),
    sa.Column('buyer_address', sa.String(length=255), nullable=False),
    sa.Column('buyer_siret', sa.String(length=14), nullable=False),
    sa.Column('buyer_vat_number', sa.String(length=20), nullable=False),
    sa.Column('sales_cents', sa.Integer(), nullable=False),
    sa.Column('commission_ht_cents', sa.Integer(), nullable=False),
    sa.Column('vat_rate_bps', sa.Integer(), nullable=False),
    sa.Column('vat_cents', sa.Integer(), nullable=False),
    sa.Column('total_ttc_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('payment_terms', sa.String(length=255), nullable=False),
    sa.CheckConstraint("kind IN ('invoice', 'credit_note')", name=op.f('ck_commission_invoice_kind_known')),
    sa.CheckConstraint('number > 0', name=op.f('ck_commission_invoice_number_positive')),
    sa.CheckConstraint('total_ttc_cents = commission_ht_cents + vat_cents', name=op.f('ck_commission_invoice_totals_add_up')),
    sa.ForeignKeyConstraint(['credits_invoice_id'], ['commission_invoice.id'], name=op.f('fk_commission_invoice_credits_invoice_id_commission_invoice')),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_commission_invoice_shop_id_shop')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commission_invoice')),
    sa.UniqueConstraint('issue_key', name=op.f('uq_commission_invoice_issue_key')),
    sa.UniqueConstraint('number', name=op.f('uq_commission_invoice_number'))
    )
    with op.batch_alter_table('commission_invoice', schema=None) as batch_op:
        batch_op.create_index('ix_commission_invoice_shop_month', ['shop_id', 'month'], unique=False)

    op.create_table('accounting_account',
    sa.Column('key', sa.String(length=20), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_accounting_account'))
    )


def downgrade():
    op.drop_table('accounting_account')
    with op.batch_alter_table('commission_invoice', schema=None) as batch_op:
        batch_op.drop_index('ix_commission_invoice_shop_month')
    op.drop_table('commission_invoice')
    op.drop_table('invoice_counter')
    op.drop_table('legal_identity')
