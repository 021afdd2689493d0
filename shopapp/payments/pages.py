"""HTML (and one JSON route): refunds at the desk, shop statements, the association's commissions and
Connect onboarding. Thin: parse, authorize, one service call, render."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from shopapp.accounts.access import role_required
from shopapp.accounts.models import Role
from shopapp.catalog.access import acting_for, shop_api, shop_for_user, shop_staff_required
from shopapp.catalog.models import Shop
from shopapp.core.api import documented, respond
from shopapp.core.clock import venue_today
from shopapp.core.money import format_cents
from shopapp.errors import DomainError, NotFoundError
from shopapp.extensions import db
from shopapp.orders import queries
from shopapp.payments import onboarding, refunds, statements
from shopapp.payments.models import Refund
from shopapp.payments.schemas import StatementOut, StatementQuery, statement_out
from shopapp.payments.stripe_js import is_test_mode

bp = Blueprint("payments_pages", __name__)


@bp.app_context_processor
def payment_globals() -> dict[str, object]:
    return {"stripe_test_mode": is_test_mode(current_app.config)}



# -- refunds (venue desk, admin) -----------------------------------------------------------------------

def _render_refund(order_id: int, error: str | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    order = queries.order_by_id(order_id)
    done = db.session.scalars(select(Refund).where(Refund.order_id == order_id).order_by(Refund.id)).all()
    refundable = {part.id: refunds.part_refundable_cents(part.id) for part in order.parts}
    return render_template("payments/refund.html", order=order, refunds=done, refundable=refundable,
                           error=error), status


@bp.get("/comptoir/commandes/<int:order_id>/remboursement")
@role_required(Role.VENUE, Role.ADMIN)
def refund_form(order_id: int):  # type: ignore[no-untyped-def]
    return _render_refund(order_id)


@bp.post("/comptoir/commandes/<int:order_id>/remboursement")
@role_required(Role.VENUE, Role.ADMIN)
def refund_submit(order_id: int):  # type: ignore[no-untyped-def]
    scope = request.form.get("scope", "")
    lines: dict[int, int] = {}
    part_id: int | None = None
    if scope.startswith("part-") and scope[5:].isdigit():
        part_id = int(scope[5:])
    elif scope == "lines":
        for key, value in request.form.items():
            if key.startswith("line-") and key[5:].isdigit() and value.strip().isdigit() and int(value) > 0:
                lines[int(key[5:])] = int(value)
    elif scope != "order":
        return _render_refund(order_id, _("Choisissez ce qu'il faut rembourser."), 422)
    reason = (request.form.get("reason") or "")[:200] or "venue"
    try:
        done = refunds.refund_order(order_id, actor_id=current_user.id, reason=reason, part_id=part_id,
                                    line_quantities=lines or None if scope == "lines" else None)
    except DomainError as exc:
        if isinstance(exc, NotFoundError) and scope != "lines":
            raise
        return _render_refund(order_id, exc.message, 422)
    order = queries.order_by_id(order_id)
    if order.payment_method == "at_pickup":
        amount = format_cents(sum(refund.amount_cents for refund in done), order.currency)
        if order.paid_via == "cash":
            flash(_("Remboursement enregistré : rendez %(amount)s en espèces au client.", amount=amount), "success")
        else:
            flash(_("Remboursement enregistré : remboursez %(amount)s sur le terminal de paiement.", amount=amount),
                  "success")
    else:
        flash(_("Remboursement demandé : le client le verra sous quelques jours."), "success")
    return redirect(url_for("payments_pages.refund_form", order_id=order_id))


# -- statements (shop staff) ---------------------------------------------------------------------------

def _statement(shop_slug: str) -> statements.Statement:
    shop = shop_for_user(current_user.id, shop_slug)
    return statements.statement_for(shop, statements.parse_month(request.args.get("month"), today=venue_today()))


@bp.get("/ma-boutique/<shop_slug>/releves")
@shop_staff_required
def statement_page(shop_slug: str):  # type: ignore[no-untyped-def]
    try:
        statement = _statement(shop_slug)
    except DomainError as exc:
        return render_template("payments/statement_error.html", error=exc.message), 422
    return render_template("payments/statement.html", statement=statement, columns=statements.COLUMNS)


@bp.get("/ma-boutique/<shop_slug>/releves.csv")
@shop_staff_required
def statement_csv(shop_slug: str) -> Response:
    statement = _statement(shop_slug)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["date", "commande", "part", "type", "montant_centimes", "devise", "reference"])
    for entry in statement.entries:
        writer.writerow([entry.created_at.isoformat(), entry.order_id, entry.part_id, entry.kind, entry.amount_cents,
                         entry.currency, entry.reference])
    name = f"releve-{statement.shop.slug}-{statement.month:%Y-%m}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/ma-boutique/<shop_slug>/releves/facture")
@shop_staff_required
def commission_invoice(shop_slug: str):  # type: ignore[no-untyped-def]
    return render_template("payments/invoice.html", statement=_statement(shop_slug))


@bp.get("/api/v1/shop/statements")
@shop_api(token_allowed=True)
@documented("The shop's statement for a month: sales, commission, refunds, payouts in cents",
            response=StatementOut, auth="bearer", query=StatementQuery)
def api_statement():  # type: ignore[no-untyped-def]
    acting = acting_for(request.args.get("shop"))
    month = statements.parse_month(request.args.get("month"), today=venue_today())
    return respond(statement_out(statements.statement_for(acting.shop, month)))


# -- association: commissions, Connect onboarding ------------------------------------------------------

@bp.get("/association/commissions")
@role_required(Role.ADMIN)
def commissions():  # type: ignore[no-untyped-def]
    return render_template("payments/commissions.html", rows=statements.commissions_by_month())


@bp.route("/association/commerces/<int:shop_id>/versements", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def shop_payouts(shop_id: int):  # type: ignore[no-untyped-def]
    shop = db.get_or_404(Shop, shop_id)
    error = link = None
    if request.method == "POST":
        try:
            if request.form.get("action") == "link":
                url = url_for("payments_pages.shop_payouts", shop_id=shop_id, _external=True)
                link = onboarding.onboarding_link(shop_id, url, url)
            else:
                onboarding.record_connected_account(shop_id, request.form.get("account_id", ""))
                flash(_("Compte de versement enregistré."), "success")
                return redirect(url_for("payments_pages.shop_payouts", shop_id=shop_id))
        except DomainError as exc:
            error = exc.message
    return render_template("payments/shop_payouts.html", shop=shop, error=error, link=link), 422 if error else 200
