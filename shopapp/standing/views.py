"""HTML: "Mon panier de la semaine" under the resident's account, and the shops' standing quantities."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from shopapp.accounts.access import login_required
from shopapp.accounts.forms import EmptyForm
from shopapp.catalog.access import shop_for_user, shop_staff_required
from shopapp.core.clock import utcnow
from shopapp.core.forms import is_row_id
from shopapp.errors import DomainError
from shopapp.orders import slots
from shopapp.payments.stripe_js import stripe_js_url
from shopapp.standing import services
from shopapp.standing.forms import CARD_CHOICE, StandingOrderForm
from shopapp.standing.models import StandingStatus
from shopapp.templating import format_local

bp = Blueprint("standing", __name__)

ACTIONS = {
    "pause": (services.pause, "Mettre en pause"),
    "reprendre": (services.resume, "Reprendre"),
    "arreter": (services.end, "Arrêter"),
}


def _slot_choices(shop_ids: set[int]) -> list[SelectChoice]:
    start = utcnow()
    views = slots.list_slots(start, start + timedelta(days=slots.PICKER_DAYS),
                             lead_minutes=slots.lead_minutes_for_shops(shop_ids),
                             closed_weekdays=slots.closed_weekdays_for_shops(shop_ids))
    return [SelectChoice(view.slot.id, format_local(view.slot.starts_at)) for view in views if view.is_bookable]


@bp.get("/mon-panier-de-la-semaine")
@login_required
def index():  # type: ignore[no-untyped-def]
    standing_orders = services.for_user(current_user.id)
    return render_template("standing/index.html", standing_orders=standing_orders,
                           next_pickup=services.next_pickup)


@bp.route("/mon-panier-de-la-semaine/nouveau", methods=["GET", "POST"])
@login_required
def new():  # type: ignore[no-untyped-def]
    form = StandingOrderForm()
    raw_order = form.order_id.data if request.method == "POST" else request.args.get("commande", "")
    order_id = int(raw_order) if raw_order and raw_order.isdigit() and is_row_id(int(raw_order)) else None
    if order_id is not None:
        items = services.lines_of_order(current_user.id, order_id)  # 404 for someone else's order
    else:
        items = [(line.product, line.quantity) for line in services.lines_of_basket_view(current_user.id)]
    if not items:
        flash(_("Il n'y a aucun produit encore vendu à mettre dans votre panier de la semaine."), "info")
        return redirect(url_for("orders.my_order", order_id=order_id) if order_id else url_for("orders.basket"))
    form.order_id.data = str(order_id) if order_id else ""
    if services.card_enabled():
        form.payment_method.choices = [*form.payment_method.choices, CARD_CHOICE]  # type: ignore[misc]
    form.slot_id.choices = _slot_choices({product.shop_id for product, _qty in items})
    error = None
    if form.validate_on_submit():
        options = {"every_weeks": form.every_weeks.data or 1, "first_pickup_slot_id": form.slot_id.data or 0,
                   "payment_method": form.payment_method.data or ""}
        try:
            if order_id is not None:
                created = services.create_from_order(current_user.id, order_id, **options)  # type: ignore[arg-type]
            else:
                created = services.create(current_user.id, services.lines_of_basket(current_user.id),
                                          **options)  # type: ignore[arg-type]
        except DomainError as exc:
            if exc.status == 404 and "product_id" not in exc.fields and "order_id" not in exc.fields:
                raise
            error = exc.message
        else:
            flash(_("C'est noté : votre panier de la semaine est enregistré."), "success")
            if created.card_setup_client_secret:
                return redirect(url_for("standing.card", standing_id=created.standing_order.id))
            return redirect(url_for("standing.detail", standing_id=created.standing_order.id))
    status = 422 if (error or form.errors) else 200
    return render_template("standing/new.html", form=form, items=items, error=error,
                           total=sum(product.price_cents * qty for product, qty in items)), status


@bp.get("/mon-panier-de-la-semaine/<int:standing_id>")
@login_required
def detail(standing_id: int):  # type: ignore[no-untyped-def]
    standing = services.get_for_user(standing_id, current_user.id)
    return render_template("standing/detail.html", standing=standing, upcoming=services.next_pickup(standing),
                           coming=services.coming_dates(standing), skipped=set(services.skipped_dates(standing)),
                           handled=services.handled_dates(standing), no_order_reason=services.no_order_reason,
                           is_active=standing.status == StandingStatus.ACTIVE,
                           is_paused=standing.status == StandingStatus.PAUSED)


def _date_arg(raw: str | None) -> date:
    try:
        return date.fromisoformat(raw or "")
    except ValueError:
        abort(404)


@bp.route("/mon-panier-de-la-semaine/<int:standing_id>/sauter", methods=["GET", "POST"])
@login_required
def skip(standing_id: int):  # type: ignore[no-untyped-def]
    standing = services.get_for_user(standing_id, current_user.id)
    day = _date_arg(request.values.get("date"))
    form = EmptyForm()
    error = None
    if form.validate_on_submit():
        try:
            services.skip(standing.id, current_user.id, day)
        except DomainError as exc:
            if exc.status == 404:
                raise
            error = exc.message
        else:
            flash(_("C'est noté : pas de panier ce jour-là."), "success")
            return redirect(url_for("standing.detail", standing_id=standing.id))
    return render_template("standing/confirm.html", standing=standing, form=form, error=error, action="sauter",
                           day=day), 422 if error or form.errors else 200


@bp.route("/mon-panier-de-la-semaine/<int:standing_id>/pause", methods=["GET", "POST"], defaults={"action": "pause"})
@bp.route("/mon-panier-de-la-semaine/<int:standing_id>/reprendre", methods=["GET", "POST"],
          defaults={"action": "reprendre"})
@bp.route("/mon-panier-de-la-semaine/<int:standing_id>/arreter", methods=["GET", "POST"],
          defaults={"action": "arreter"})
@login_required
def change(standing_id: int, action: str):  # type: ignore[no-untyped-def]
    standing = services.get_for_user(standing_id, current_user.id)
    form = EmptyForm()
    error = None
    if form.validate_on_submit():
        service, _label = ACTIONS[action]
        try:
            service(standing.id, current_user.id)
        except DomainError as exc:
            if exc.status == 404:
                raise
            error = exc.message
        else:
            messages = {"pause": _("Votre panier de la semaine est en pause."),
                        "reprendre": _("Votre panier de la semaine reprend."),
                        "arreter": _("Votre panier de la semaine est arrêté.")}
            flash(messages[action], "success")
            return redirect(url_for("standing.detail", standing_id=standing.id))
    return render_template("standing/confirm.html", standing=standing, form=form, error=error, action=action,
                           day=None), 422 if error or form.errors else 200


@bp.route("/mon-panier-de-la-semaine/<int:standing_id>/carte", methods=["GET", "POST"])
@login_required
def card(standing_id: int):  # type: ignore[no-untyped-def]
    """Save the card: Stripe.js confirms the SetupIntent in the page, then posts back here, and the saved
    card is recorded (the beat would record it anyway before the first charge)."""
    standing = services.get_for_user(standing_id, current_user.id)
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            saved = services.refresh_saved_card(standing)
        except DomainError as exc:
            flash(exc.message, "error")
            return redirect(url_for("standing.card", standing_id=standing.id))
        if saved:
            flash(_("Votre carte est enregistrée pour votre panier de la semaine."), "success")
            return redirect(url_for("standing.detail", standing_id=standing.id))
        flash(_("La carte n'est pas encore enregistrée : réessayez."), "error")
    if standing.payment_method != "card" or standing.stripe_payment_method_id:
        return redirect(url_for("standing.detail", standing_id=standing.id))
    return render_template("standing/card.html", standing=standing, form=form,
                           client_secret=services.card_setup_secret(standing),
                           publishable_key=current_app.config.get("STRIPE_PUBLISHABLE_KEY") or "",
                           stripe_js_url=stripe_js_url())


@bp.get("/ma-boutique/<shop_slug>/paniers-de-la-semaine")
@shop_staff_required
def shop_forecast(shop_slug: str):  # type: ignore[no-untyped-def]
    shop = shop_for_user(current_user.id, shop_slug)
    return render_template("standing/shop_forecast.html", shop=shop, forecast=services.shop_forecast(shop.id))
