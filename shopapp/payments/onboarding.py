"""Stripe Connect onboarding of a shop: by the shop itself (an Express account and an Account Link), or an
account id recorded by the association; the account's state kept on the shop, and payouts held for an
unfinished onboarding queued again once the account can receive payouts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from shopapp.catalog.models import Shop
from shopapp.core import outbox
from shopapp.errors import NotFoundError, ValidationFailed
from shopapp.extensions import db
from shopapp.payments import gateway
from shopapp.payments.models import Payout, PayoutStatus
from shopapp.payments.payouts import PAY_OUT_PART_TASK


def record_connected_account(shop_id: int, account_id: str) -> Shop:
    """Record the shop's connected account (`acct_…`) and queue its pending payouts again.

    :raise NotFoundError: no such shop. :raise ValidationFailed: not an account id. Flushes, never commits.
    """
    account_id = account_id.strip()
    if not account_id.startswith("acct_") or len(account_id) > 64:
        raise ValidationFailed(str(_l("Identifiant de compte Stripe invalide (acct_…).")),
                               fields={"account_id": "acct_…"})
    shop = db.session.scalar(select(Shop).where(Shop.id == shop_id).with_for_update())
    if shop is None:
        raise NotFoundError(str(_l("Commerce introuvable.")))
    shop.stripe_account_id = account_id
    for part_id in db.session.scalars(select(Payout.part_id).where(
            Payout.shop_id == shop_id, Payout.status.in_([str(PayoutStatus.PENDING), str(PayoutStatus.HELD)]))):
        outbox.enqueue(PAY_OUT_PART_TASK, part_id=part_id)
    db.session.flush()
    return shop


def start_onboarding(shop_id: int, refresh_url: str, return_url: str) -> str:
    """The URL of a new Stripe onboarding link for the shop, creating its Express account first if it has
    none (one per shop: the creation is keyed by the shop id).

    :raise NotFoundError: no such shop. :raise GatewayNotConfigured: no Stripe keys.
    :raise PaymentGatewayError: Stripe refused or did not answer. Flushes, never commits.
    """
    shop = db.session.scalar(select(Shop).where(Shop.id == shop_id).with_for_update())
    if shop is None:
        raise NotFoundError(str(_l("Commerce introuvable.")))
    if not shop.stripe_account_id:
        shop.stripe_account_id = gateway.create_connected_account(shop.id, shop.email)
        db.session.flush()
    return gateway.create_account_link(shop.stripe_account_id, refresh_url, return_url).url


def apply_account_state(account: gateway.AccountView) -> Shop | None:
    """Keep the account's flags on its shop; once it can receive payouts, queue the shop's held and pending
    payouts again (paying a part stays exactly once: pay_out_part locks its row). Flushes."""
    shop = db.session.scalar(select(Shop).where(Shop.stripe_account_id == account.id).with_for_update())
    if shop is None:
        return None
    shop.charges_enabled = account.charges_enabled
    shop.payouts_enabled = account.payouts_enabled
    shop.details_submitted = account.details_submitted
    if account.payouts_enabled:
        for part_id in db.session.scalars(select(Payout.part_id).where(
                Payout.shop_id == shop.id,
                Payout.status.in_([str(PayoutStatus.PENDING), str(PayoutStatus.HELD)]))):
            outbox.enqueue(PAY_OUT_PART_TASK, part_id=part_id)
    db.session.flush()
    return shop


def refresh_account(shop_id: int) -> Shop | None:
    """Read the shop's connected account from Stripe and apply its state (the onboarding return page).

    Returns None when the shop has no account yet. :raise PaymentGatewayError, GatewayNotConfigured:
    """
    shop = db.session.get(Shop, shop_id)
    if shop is None or not shop.stripe_account_id:
        return None
    return apply_account_state(gateway.retrieve_account(shop.stripe_account_id))


def release_held_payouts() -> int:
    """Periodic: re-read the accounts of shops with held payouts (in case a webhook was missed) and queue
    their payouts once they can receive them. A Stripe error on one shop leaves it for the next run.
    Returns how many shops were checked. Flushes."""
    shop_ids = list(db.session.scalars(select(Payout.shop_id).where(
        Payout.status == PayoutStatus.HELD).distinct()))
    for shop_id in shop_ids:
        try:
            refresh_account(shop_id)
        except gateway.PaymentGatewayError:
            continue
    return len(shop_ids)


def onboarding_link(shop_id: int, refresh_url: str, return_url: str) -> str:
    """A one-time Stripe onboarding link for the shop's connected account.

    :raise NotFoundError: no shop, or no account recorded yet. :raise PaymentGatewayError: Stripe refused.
    """
    shop = db.session.get(Shop, shop_id)
    if shop is None or not shop.stripe_account_id:
        raise NotFoundError(str(_l("Enregistrez d'abord le compte Stripe du commerce.")))
    return gateway.create_account_link(shop.stripe_account_id, refresh_url, return_url).url
