"""Stripe Connect onboarding of a shop, recorded by the association."""

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
            Payout.shop_id == shop_id, Payout.status == PayoutStatus.PENDING)):
        outbox.enqueue(PAY_OUT_PART_TASK, part_id=part_id)
    db.session.flush()
    return shop


def onboarding_link(shop_id: int, refresh_url: str, return_url: str) -> str:
    """A one-time Stripe onboarding link for the shop's connected account.

    :raise NotFoundError: no shop, or no account recorded yet. :raise PaymentGatewayError: Stripe refused.
    """
    shop = db.session.get(Shop, shop_id)
    if shop is None or not shop.stripe_account_id:
        raise NotFoundError(str(_l("Enregistrez d'abord le compte Stripe du commerce.")))
    return gateway.create_account_link(shop.stripe_account_id, refresh_url, return_url).url
