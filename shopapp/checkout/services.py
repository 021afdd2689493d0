"""The one checkout use case, for the HTML page and the JSON API alike.

`submit` runs in the request's transaction: it places the order through `orders.placement.place_order`
(stock and slot taken, rate frozen per part) and opens the payment through `payments.card` (a
PaymentIntent for `card`, a pending desk payment for `at_pickup`) from placement's `before_allocation`
step, so that a Stripe call never runs while the hot stock and slot rows are locked. Any error rolls the whole
request back, so an order never exists without its payment record. Steps that join more domains
(animations, ...) go into `submit`, between placing the order and answering.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app

from shopapp.accounts.models import User
from shopapp.animations import registrations
from shopapp.catalog.models import Shop
from shopapp.errors import DomainError
from shopapp.extensions import db
from shopapp.orders import placement
from shopapp.orders.basket import BasketView
from shopapp.orders.models import Order
from shopapp.orders.states import PaymentMethod
from shopapp.payments import card, commission
from shopapp.venue.queries import current_venue


class EmailNotConfirmed(DomainError):
    status = 403
    code = "email_not_confirmed"


class AdultConfirmationRequired(DomainError):
    status = 422
    code = "adult_confirmation_required"


@dataclass(frozen=True)
class SubmitRequest:
    user_id: int
    pickup_slot_id: int
    payment_method: str
    idempotency_key: str | None = None
    join_animation_ids: tuple[int, ...] = field(default_factory=tuple)
    # The buyer certifies being 18 or older: required when the basket holds an alcoholic product.
    confirm_adult: bool = False


@dataclass(frozen=True)
class PaymentInfo:
    method: str
    status: str
    client_secret: str | None = None


@dataclass(frozen=True)
class SubmitResult:
    order: Order
    created: bool
    payment: PaymentInfo


def card_enabled() -> bool:
    """Card payments are offered when this installation has a Stripe key (test or live)."""
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def _rate_for_shop_id(shop_id: int) -> int:
    shop = db.session.get(Shop, shop_id)
    assert shop is not None
    return commission.rate_for_shop(shop)


def _rates_read_once() -> Callable[[int], int]:
    """`_rate_for_shop_id` for one checkout: the platform rate is read at most once for all its shops
    (the shops themselves are already in the session, read with the basket)."""
    platform: list[int] = []

    def rate(shop_id: int) -> int:
        shop = db.session.get(Shop, shop_id)
        assert shop is not None
        if shop.commission_rate_bps is not None:
            return int(shop.commission_rate_bps)
        if not platform:
            platform.append(commission.platform_rate_bps())
        return platform[0]

    return rate


def confirmation_required(user: User) -> bool:
    """Whether this user must confirm their e-mail address before ordering (the association's choice).
    A confirmed address needs no look at the venue's setting (the checkout reads the venue with its slot)."""
    if user.email_confirmed:
        return False
    venue = current_venue()
    return bool(venue is not None and venue.require_confirmed_email)


def submit(request: SubmitRequest) -> SubmitResult:
    """Place the user's basket as an order and open its payment. Idempotent per (user, key).

    :raise PaymentUnavailable, BasketEmpty, NotFoundError, SlotFull, InsufficientStock: from orders.
    :raise RetryablePaymentError, TerminalPaymentError: Stripe could not open the payment (the caller
    rolls back: no order is left behind). Flushes, never commits.
    :raise EmailNotConfirmed: the association requires a confirmed address and this one is not yet.
    :raise AdultConfirmationRequired: the basket holds alcohol and the buyer did not certify being of age
    (the law forbids selling alcohol to minors).
    """
    user = db.session.get(User, request.user_id)
    if user is not None and confirmation_required(user):
        raise EmailNotConfirmed("Confirmez d'abord votre adresse e-mail : ouvrez le lien reçu par courriel "
                                "(ou demandez-en un nouveau depuis votre compte).")

    def check_age(basket: BasketView) -> None:
        if not request.confirm_adult and basket.holds_alcohol:
            raise AdultConfirmationRequired(
                "Votre panier contient de l'alcool : confirmez que vous avez 18 ans ou plus pour commander.",
                fields={"confirm_adult": "Confirmez que vous avez 18 ans ou plus."})

    payment: list[PaymentInfo] = []

    def open_payment(order: Order) -> None:
        # Runs inside placement before the stock and slot rows are locked: the Stripe call of a card
        # payment never holds them.
        if request.join_animation_ids:
            # Same transaction as the order: a refused join (animation not during this slot) rolls both back.
            registrations.join_at_checkout(request.user_id, order.id, request.join_animation_ids)
        payment.append(_open_payment(order))

    placed = placement.place_order(
        placement.CheckoutRequest(request.user_id, request.pickup_slot_id, request.payment_method,
                                 request.idempotency_key),
        card_enabled=card_enabled(),
        commission_rate=_rates_read_once(),
        check_basket=check_age,
        before_allocation=open_payment,
    )
    order = placed.order
    if not payment:  # the same key again: the existing order, its payment found again
        payment.append(_open_payment(order))
    return SubmitResult(order, placed.created, payment[0])


def _open_payment(order: Order) -> PaymentInfo:
    if order.payment_method == PaymentMethod.CARD:
        started = card.start_card_payment(order.id, order.number, order.total_cents, order.currency)
        return PaymentInfo(order.payment_method, order.payment_status, started.client_secret)
    card.open_pickup_payment(order.id, order.number, order.total_cents, order.currency)
    return PaymentInfo(order.payment_method, order.payment_status)
