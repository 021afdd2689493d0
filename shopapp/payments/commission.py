"""Commission rates (platform default, per-shop overrides, with audit) and the settlement of a part.

The rate is frozen on each order part at checkout (orders reads `rate_for_shop`); settlement uses the
frozen rate. Commission (excluding VAT) is rounded half-up to the cent on the part's subtotal
(`core.money.split_commission`); the VAT on the commission (COMMISSION_VAT_BPS, 20 %) is rounded half-up
on that commission (`core.money.vat_on`).

Decision: the association invoices its commission to the shop and withholds it VAT included (TTC) from
the transfer, as a French platform does when it deducts its invoiced fee. So, to the cent, always:
payout + commission + VAT on the commission == amount received. The ledger posts both (`commission`,
`commission_vat`), the statement and the monthly invoice sum the same postings, and the transfer is the
part's ledger balance.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from shopapp.catalog.models import Shop
from shopapp.core.money import split_commission, vat_on
from shopapp.errors import NotFoundError, ValidationFailed
from shopapp.extensions import db
from shopapp.orders.states import PaymentMethod
from shopapp.payments import ledger, order_port
from shopapp.payments.ledger import Posting
from shopapp.payments.models import CommissionRateChange, LedgerKind

SETTLEMENT_REFERENCE = "settlement"


def _check_rate(rate_bps: int) -> None:
    if not 0 <= rate_bps <= 10_000:
        raise ValidationFailed(
            str(_l("Le taux doit être compris entre 0 et 10 000 points de base.")),
            fields={"rate_bps": str(_l("entre 0 et 10 000"))},
        )


_LATEST_PLATFORM_RATE = (select(CommissionRateChange.new_rate_bps).where(CommissionRateChange.shop_id.is_(None))
                         .order_by(CommissionRateChange.id.desc()).limit(1))  # built once: every checkout reads it


def platform_rate_bps() -> int:
    """The platform default in force: the newest audited change, else PLATFORM_COMMISSION_BPS."""
    latest = db.session.scalar(_LATEST_PLATFORM_RATE)
    return int(latest) if latest is not None else int(current_app.config["PLATFORM_COMMISSION_BPS"])


def rate_for_shop(shop: Shop) -> int:
    """The rate to freeze on a new part of this shop: its override, else the platform default."""
    return shop.commission_rate_bps if shop.commission_rate_bps is not None else platform_rate_bps()


def set_platform_rate(rate_bps: int, *, actor_id: int | None, note: str = "") -> CommissionRateChange:
    """Change the platform default rate and audit who, when, old, new. Parts already placed keep theirs.

    :raise ValidationFailed: rate outside 0…10 000 bps. Flushes, never commits.
    """
    _check_rate(rate_bps)
    change = CommissionRateChange(
        shop_id=None, old_rate_bps=platform_rate_bps(), new_rate_bps=rate_bps, changed_by_id=actor_id, note=note
    )
    db.session.add(change)
    db.session.flush()
    return change


def set_shop_rate(shop_id: int, rate_bps: int | None, *, actor_id: int | None, note: str = "") -> CommissionRateChange:
    """Set (or with None remove) a shop's override, under the shop's row lock, and audit the change.

    :raise NotFoundError: no such shop. :raise ValidationFailed: rate out of range. Flushes, never commits.
    """
    if rate_bps is not None:
        _check_rate(rate_bps)
    shop = db.session.scalar(select(Shop).where(Shop.id == shop_id).with_for_update())
    if shop is None:
        raise NotFoundError(str(_l("Commerce introuvable.")))
    change = CommissionRateChange(
        shop_id=shop.id, old_rate_bps=shop.commission_rate_bps, new_rate_bps=rate_bps, changed_by_id=actor_id, note=note
    )
    shop.commission_rate_bps = rate_bps
    db.session.add(change)
    db.session.flush()
    return change


def split_withheld(amount_cents: int, rate_bps: int, vat_bps: int) -> tuple[int, int, int]:
    """`(commission, VAT on it, shop's net)` of an amount, summing exactly to it (pure).

    The one rule for a settlement and for a refund giving commission and VAT back.
    :raise ValueError: negative amount, rate out of range.
    """
    commission, net = split_commission(amount_cents, rate_bps)
    vat = min(vat_on(commission, vat_bps), net)
    return commission, vat, net - vat


def commission_vat_bps() -> int:
    return int(current_app.config["COMMISSION_VAT_BPS"])


@dataclass(frozen=True)
class Settlement:
    amount_received_cents: int
    commission_cents: int
    commission_vat_cents: int
    payout_cents: int
    postings: tuple[Posting, ...]


def settle_part(
    *,
    shop_id: int,
    part_id: int,
    order_id: int,
    amount_received_cents: int,
    rate_bps: int,
    currency: str,
    paid_at_pickup: bool,
    vat_bps: int,
) -> Settlement:
    """Compute a part's settlement (pure): the receipt, the commission and its VAT (both withheld), and the payout.

    The payout itself is posted by payouts when the transfer exists; `payout_cents` is what it will be:
    amount − commission − VAT on the commission (never below 0: the VAT is capped at what is left).
    :raise ValueError: negative amount, rate out of range.
    """
    commission, vat, payout = split_withheld(amount_received_cents, rate_bps, vat_bps)
    receipt_kind = LedgerKind.PICKUP_RECEIPT if paid_at_pickup else LedgerKind.SALE

    def posting(kind: LedgerKind, amount: int) -> Posting:
        return Posting(shop_id, part_id, order_id, kind, amount, currency, SETTLEMENT_REFERENCE)

    postings = (
        posting(receipt_kind, amount_received_cents),
        posting(LedgerKind.COMMISSION, -commission),
        posting(LedgerKind.COMMISSION_VAT, -vat),
    )
    return Settlement(amount_received_cents, commission, vat, payout, postings)


def settle_paid_part(part_id: int) -> Settlement:
    """Post a paid part's settlement to the ledger with its frozen rate; a repeat posts nothing new.

    :raise NotFoundError: no such part. :raise ValidationFailed: the part is not paid yet.
    Flushes, never commits.
    """
    facts = order_port.part_facts(part_id)
    if not facts.is_paid:
        raise ValidationFailed(str(_l("Cette commande n'est pas encore payée.")))
    settlement = settle_part(
        shop_id=facts.shop_id,
        part_id=facts.part_id,
        order_id=facts.order_id,
        amount_received_cents=facts.subtotal_cents,
        rate_bps=facts.commission_rate_bps,
        currency=facts.currency,
        paid_at_pickup=facts.payment_method == PaymentMethod.AT_PICKUP,
        vat_bps=commission_vat_bps(),
    )
    ledger.post(settlement.postings)
    return settlement
