"""JSON shapes of the payments API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from shopapp.catalog.models import Shop
from shopapp.payments.models import CommissionInvoice
from shopapp.payments.statements import Statement


class StatementQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    month: str | None = None
    shop: str | None = None


class StatementOut(BaseModel):
    shop: str
    month: str
    currency: str
    sales_cents: int
    commission_cents: int
    commission_vat_cents: int
    refunds_cents: int
    payouts_cents: int
    transfer_reversals_cents: int
    opening_balance_cents: int
    balance_cents: int


def statement_out(statement: Statement) -> StatementOut:
    """Amounts as the shop sees them: sales and commission positive, refunds and payouts positive too."""
    t = statement.totals
    return StatementOut(
        shop=statement.shop.slug, month=f"{statement.month:%Y-%m}", currency="EUR",
        sales_cents=t["sales"], commission_cents=-t["commission"], commission_vat_cents=-t["commission_vat"],
        refunds_cents=-t["refunds"], payouts_cents=-t["payouts"], transfer_reversals_cents=t["transfer_reversals"],
        opening_balance_cents=statement.opening_balance_cents, balance_cents=statement.closing_balance_cents,
    )


class InvoiceQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    month: str | None = None


class FecQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    year: str | None = None


class InvoiceShop(BaseModel):
    id: int
    slug: str
    name: str


class InvoiceOut(BaseModel):
    number: str
    kind: str
    shop: InvoiceShop
    month: str
    issued_on: str
    commission_cents: int
    vat_rate_bps: int
    vat_cents: int
    total_cents: int
    currency: str
    credits_number: str | None  # a credit note: the number of the invoice it corrects
    url: str


class InvoiceList(BaseModel):
    items: list[InvoiceOut]
    page: int
    per_page: int
    total: int


def invoice_out(invoice: CommissionInvoice, shop: Shop, url: str,
                credits: CommissionInvoice | None = None) -> InvoiceOut:
    """An issued invoice (amounts positive) or credit note (amounts negative), with its PDF's address."""
    return InvoiceOut(
        number=invoice.display_number, kind=invoice.kind, shop=InvoiceShop(id=shop.id, slug=shop.slug, name=shop.name),
        month=f"{invoice.month:%Y-%m}", issued_on=invoice.issue_date.isoformat(),
        commission_cents=invoice.commission_ht_cents, vat_rate_bps=invoice.vat_rate_bps, vat_cents=invoice.vat_cents,
        total_cents=invoice.total_ttc_cents, currency=invoice.currency,
        credits_number=credits.display_number if credits else None, url=url,
    )
