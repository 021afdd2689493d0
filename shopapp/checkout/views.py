"""HTML: the checkout page (both payment methods), changing an order's pickup slot, the card payment page
and its return page. Both slot pages show the slot picker with the animations happening during each slot."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from shopapp.accounts.access import login_required
from shopapp.animations.picker import picker_animations
from shopapp.checkout import payment_page, services
from shopapp.core.clock import utcnow
from shopapp.core.forms import is_row_id
from shopapp.errors import DomainError
from shopapp.orders import basket as baskets
from shopapp.orders import fulfilment, queries, slots
from shopapp.orders.forms import ChangeSlotForm, CheckoutForm
from shopapp.orders.session import current_owner
from shopapp.orders.states import PartStatus, PaymentMethod
from shopapp.payments.stripe_js import stripe_js_url

bp = Blueprint("checkout", __name__)


def _slot_picker(views: list[slots.SlotView], shop_ids: Iterable[int]) -> dict[str, object]:
    """What the slot picker template shows: the slots by local day and, per slot id, the animations
    happening during it (those featuring one of `shop_ids` highlighted); slots too soon for the
    preparation are not offered at all."""
    featured = set(shop_ids)
    # Slots before the baskets' preparation lead time are left out (one sentence says so), not listed greyed.
    shown = [view for view in views if view.refusal != slots.SlotRefusal.TOO_SOON]
    return {"slot_days": slots.by_local_day(shown), "hidden_too_soon": len(views) - len(shown),
            "slot_animations": {view.slot.id: picker_animations(view.slot, featured) for view in shown}}


@bp.route("/commande", methods=["GET", "POST"])
@login_required
def checkout_page():  # type: ignore[no-untyped-def]
    owner = current_owner()
    view = baskets.view_basket(owner)
    if view.is_empty and request.method == "GET":
        flash(_("Votre panier est vide."), "info")
        return redirect(url_for("orders.basket"))
    lead = slots.lead_minutes_for_shops(group.shop.id for group in view.groups)
    closed = slots.closed_weekdays_for_shops(group.shop.id for group in view.groups)
    start = utcnow()
    slot_views = slots.list_slots(start, start + timedelta(days=slots.PICKER_DAYS), lead_minutes=lead,
                                  closed_weekdays=closed)
    form = CheckoutForm()
    form.slot_id.choices = [SelectChoice(str(v.slot.id)) for v in slot_views if v.is_bookable]
    if services.card_enabled():
        form.payment_method.choices = [
            *form.payment_method.choices,
            SelectChoice(PaymentMethod.CARD.value, _l("Carte bancaire en ligne, maintenant")),
        ]
    if request.method == "GET":
        form.idempotency_key.data = secrets.token_urlsafe(16)
    error = None
    if form.validate_on_submit():
        try:
            result = services.submit(services.SubmitRequest(
                current_user.id, form.slot_id.data or 0, form.payment_method.data or "",
                (form.idempotency_key.data or "")[:80] or None,
                _joined_ids(), confirm_adult=bool(form.confirm_adult.data)))
        except DomainError as exc:
            error = exc.message
            if exc.code == services.AdultConfirmationRequired.code:  # told beside the box, in the summary
                form.confirm_adult.errors = [_("Confirmez que vous avez 18 ans ou plus pour acheter de l'alcool.")]
                error = None
            slot_views = slots.list_slots(start, start + timedelta(days=slots.PICKER_DAYS), lead_minutes=lead,
                                          closed_weekdays=closed)
        else:
            if result.order.payment_method == PaymentMethod.CARD:
                return redirect(url_for("checkout.pay", order_id=result.order.id))
            if result.created:
                flash(_("Merci ! Votre commande %(number)s est confirmée.", number=result.order.number), "success")
            return redirect(url_for("orders.my_order", order_id=result.order.id))
    elif request.method == "POST" and form.errors.get("csrf_token"):
        error = _("Le formulaire a expiré. Merci de réessayer.")
    status = 422 if (error or form.errors) else 200
    return render_template("checkout/checkout.html", form=form, basket=view, lead_minutes=lead, error=error,
                           card_enabled=services.card_enabled(),
                           **_slot_picker(slot_views, (group.shop.id for group in view.groups))), status


def _joined_ids() -> tuple[int, ...]:
    """The animations ticked in the slot picker; a value that cannot be a row id becomes 0, which names no
    animation, so the checkout is refused with "not found" instead of joining less than was asked."""
    values = request.form.getlist("join_animation_ids")
    return tuple(int(v) if v.isdigit() and is_row_id(int(v)) else 0 for v in values)


@bp.route("/mes-commandes/<int:order_id>/creneau", methods=["GET", "POST"])
@login_required
def change_slot(order_id: int):  # type: ignore[no-untyped-def]
    order = queries.order_for_user(order_id, current_user.id)
    if not fulfilment.can_change_slot(order):
        flash(_("Le créneau de cette commande ne peut plus être changé."), "info")
        return redirect(url_for("orders.my_order", order_id=order.id))
    form = ChangeSlotForm()
    error = None
    if form.validate_on_submit():
        try:
            fulfilment.change_pickup_slot(order.id, form.slot_id.data or 0, owner_id=current_user.id)
        except DomainError as exc:
            if exc.status == 404 and "pickup_slot_id" not in exc.fields:
                raise
            error = exc.message
        else:
            flash(_("C'est noté : votre commande vous attend au nouveau créneau."), "success")
            return redirect(url_for("orders.my_order", order_id=order.id))
    waiting = [part.shop_id for part in order.remaining_parts if part.status == PartStatus.RECEIVED]
    start = utcnow()
    views = slots.list_slots(start, start + timedelta(days=slots.PICKER_DAYS),
                             lead_minutes=slots.lead_minutes_for_shops(waiting),
                             closed_weekdays=slots.closed_weekdays_for_shops(waiting))
    views = [view for view in views if view.slot.id != order.pickup_slot_id]
    status = 422 if (error or form.errors) else 200
    return render_template("checkout/change_slot.html", order=order, form=form, error=error,
                           **_slot_picker(views, (part.shop_id for part in order.remaining_parts))), status


@bp.get("/commande/<int:order_id>/paiement")
@login_required
def pay(order_id: int):  # type: ignore[no-untyped-def]
    order = queries.order_for_user(order_id, current_user.id)
    state = payment_page.payment_state(order.id)
    if state.is_settled or order.payment_method != PaymentMethod.CARD:
        return redirect(url_for("checkout.payment_return", order_id=order.id))
    return render_template("checkout/pay.html", order=order, state=state,
                           publishable_key=current_app.config.get("STRIPE_PUBLISHABLE_KEY") or "",
                           stripe_js_url=stripe_js_url(),
                           is_localstripe=bool(current_app.config.get("STRIPE_LOCALSTRIPE")))


@bp.post("/commande/<int:order_id>/paiement/carte-test")
@login_required
def pay_with_test_card(order_id: int):  # type: ignore[no-untyped-def]
    """localstripe only: its Stripe.js stand-in cannot confirm a PaymentIntent, so the page hands the
    card token here and the server confirms (real Stripe confirms in the browser; this route is 404)."""
    if not current_app.config.get("STRIPE_LOCALSTRIPE"):
        abort(404)
    order = queries.order_for_user(order_id, current_user.id)
    token = (request.form.get("token") or "")[:255]
    if not token:
        return jsonify({"error": {"message": _("Carte manquante.")}}), 422
    try:
        status = payment_page.confirm_with_test_token(order.id, token)
    except DomainError as exc:
        return jsonify({"error": {"code": exc.code, "message": exc.message}}), 402
    return jsonify({"status": status})


@bp.get("/commande/<int:order_id>/retour")
@login_required
def payment_return(order_id: int):  # type: ignore[no-untyped-def]
    order = queries.order_for_user(order_id, current_user.id)
    state = payment_page.payment_state(order.id)
    return render_template("checkout/return.html", order=order, state=state)
