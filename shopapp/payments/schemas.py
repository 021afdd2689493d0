"""JSON shapes of the payments API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

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
