"""Pages of the yearly membership fee paid by card: open the payment, the card form (the same Stripe.js
flow as an order's payment page), localstripe's card confirmation, and the page Stripe.js returns to.
The fee is recorded by the signed webhook only (payments/membership.py)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from shopapp.accounts.access import login_required
from shopapp.accounts.forms import EmptyForm
from shopapp.core.clock import venue_today
from shopapp.errors import DomainError
from shopapp.members import services as members
from shopapp.payments import membership
from shopapp.payments.stripe_js import stripe_js_url
from shopapp.venue.queries import current_venue

bp = Blueprint("membership_payments", __name__)
MEMBERSHIP_PAGE = "privacy.membership"


def _fee_cents() -> int:
    venue = current_venue()
    return venue.membership_fee_cents if venue is not None else 0


@bp.post("/adhesion/cotisation/carte")
@login_required
def start():  # type: ignore[no-untyped-def]
    if not EmptyForm().validate_on_submit():
        flash(_("Le formulaire a expiré. Merci de réessayer."), "error")
        return redirect(url_for(MEMBERSHIP_PAGE))
    try:
        membership.start_fee_payment(current_user.id, year=venue_today().year, fee_cents=_fee_cents())
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for(MEMBERSHIP_PAGE))
    return redirect(url_for("membership_payments.pay"))


@bp.get("/adhesion/cotisation/paiement")
@login_required
def pay():  # type: ignore[no-untyped-def]
    year = venue_today().year
    row = membership.pending_payment(current_user.id, year)
    if members.fee_paid(current_user.id, year) is not None or row is None:
        return redirect(url_for(MEMBERSHIP_PAGE))
    secret = membership.client_secret_for(current_user.id, year)
    if secret is None:  # paid, the webhook on its way
        return redirect(url_for("membership_payments.done"))
    return render_template("payments/membership_pay.html", year=year, amount_cents=row.amount_cents,
                           currency=row.currency, client_secret=secret,
                           publishable_key=current_app.config.get("STRIPE_PUBLISHABLE_KEY") or "",
                           stripe_js_url=stripe_js_url(),
                           is_localstripe=bool(current_app.config.get("STRIPE_LOCALSTRIPE")))


@bp.post("/adhesion/cotisation/carte-test")
@login_required
def pay_with_test_card():  # type: ignore[no-untyped-def]
    """localstripe only, as for orders (checkout/views.py): the server confirms with the card token."""
    if not current_app.config.get("STRIPE_LOCALSTRIPE"):
        abort(404)
    token = (request.form.get("token") or "")[:255]
    if not token:
        return jsonify({"error": {"message": _("Carte manquante.")}}), 422
    try:
        status = membership.confirm_with_test_token(current_user.id, venue_today().year, token)
    except DomainError as exc:
        return jsonify({"error": {"code": exc.code, "message": exc.message}}), 402
    return jsonify({"status": status})


@bp.get("/adhesion/cotisation/retour")
@login_required
def done():  # type: ignore[no-untyped-def]
    year = venue_today().year
    return render_template("payments/membership_return.html", year=year,
                           fee=members.fee_paid(current_user.id, year))
