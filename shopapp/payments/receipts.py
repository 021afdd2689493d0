"""A resident's receipt for an order: each shop's lines, the VAT included per rate, each shop's identity,
what was paid and how, the refunds, the fee kept on an order not collected (the association's, with its
VAT), and what was finally paid.

VAT is worked out from the prices with taxes (TTC), line by line: each line's VAT is rounded half-up to
the cent (`money.vat_within`) and its net amount (HT) is the rest, so per rate VAT + HT == TTC exactly and
a rate's VAT is the sum of its lines' VAT (per shop and for the whole receipt). A shop that turned its part
down sold nothing: its lines are not on the receipt (the money for them shows among the refunds).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from shopapp.catalog.models import Shop
from shopapp.core.money import vat_within
from shopapp.errors import NotFoundError
from shopapp.extensions import db
from shopapp.orders.models import Order, OrderLine
from shopapp.payments import no_show
from shopapp.payments.invoices import identity_for
from shopapp.payments.models import NoShowFee, Refund, RefundStatus


@dataclass
class VatRow:
    rate_bp: int
    ttc_cents: int = 0
    ht_cents: int = 0
    vat_cents: int = 0


@dataclass(frozen=True)
class ReceiptLine:
    name: str
    unit: str
    quantity: int
    unit_price_cents: int
    total_cents: int
    vat_rate_bp: int
    vat_cents: int

    @property
    def ht_cents(self) -> int:
        return self.total_cents - self.vat_cents


@dataclass(frozen=True)
class ShopIdentity:
    name: str
    address: str
    siret: str
    vat_number: str


@dataclass
class ShopReceipt:
    shop: Shop
    identity: ShopIdentity
    lines: list[ReceiptLine]
    vat_rows: list[VatRow]

    @property
    def total_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)


@dataclass
class Receipt:
    order: Order
    shops: list[ShopReceipt]
    vat_rows: list[VatRow]
    refunds: list[Refund] = field(default_factory=list)
    # A card-paid order nobody collected, under "refund minus a fee": what the association kept.
    no_show_fee: NoShowFee | None = None

    @property
    def total_cents(self) -> int:
        return sum(shop.total_cents for shop in self.shops)

    @property
    def paid_cents(self) -> int:
        return self.order.paid_cents

    @property
    def paid_at(self) -> datetime | None:
        return self.order.paid_at

    @property
    def refunded_cents(self) -> int:
        return sum(refund.amount_cents for refund in self.refunds)

    @property
    def final_cents(self) -> int:
        """What the resident finally paid: what was taken, less what was given back."""
        return self.paid_cents - self.refunded_cents


def _line(line: OrderLine) -> ReceiptLine:
    return ReceiptLine(name=line.name, unit=line.unit, quantity=line.quantity,
                       unit_price_cents=line.unit_price_cents, total_cents=line.line_total_cents,
                       vat_rate_bp=line.vat_rate_bp, vat_cents=vat_within(line.line_total_cents, line.vat_rate_bp))


def vat_by_rate(lines: list[ReceiptLine]) -> list[VatRow]:
    """The lines' TTC, HT and VAT summed per rate, lowest rate first."""
    rows: dict[int, VatRow] = {}
    for line in lines:
        row = rows.setdefault(line.vat_rate_bp, VatRow(line.vat_rate_bp))
        row.ttc_cents += line.total_cents
        row.vat_cents += line.vat_cents
        row.ht_cents += line.ht_cents
    return [rows[rate] for rate in sorted(rows)]


def _identity(shop: Shop) -> ShopIdentity:
    legal = identity_for(shop.id)
    return ShopIdentity(name=legal.name.strip() or shop.name, address=legal.address.strip() or shop.address,
                        siret=legal.siret.strip(), vat_number=legal.vat_number.strip())


def receipt_for(order: Order) -> Receipt:
    """The order's receipt. :raise NotFoundError: nothing was paid or collected yet."""
    if not order.has_receipt:
        raise NotFoundError(str(_l("Pas encore de reçu pour cette commande.")))
    shops = []
    for part in order.remaining_parts:
        lines = [_line(line) for line in part.lines]
        shops.append(ShopReceipt(shop=part.shop, identity=_identity(part.shop), lines=lines,
                                 vat_rows=vat_by_rate(lines)))
    done = list(db.session.scalars(select(Refund).where(Refund.order_id == order.id,
                                                        Refund.status == str(RefundStatus.SUCCEEDED))
                                   .order_by(Refund.id)))
    return Receipt(order=order, shops=shops, vat_rows=vat_by_rate([line for shop in shops for line in shop.lines]),
                   refunds=done, no_show_fee=no_show.fee_of(order.id))
