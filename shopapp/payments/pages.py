"""HTML (and one JSON route): refunds at the desk, shop statements, the association's commissions and
Connect onboarding. Thin: parse, authorize, one service call, render."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from shopapp.accounts.access import login_required, role_required
from shopapp.accounts.models import Role
from shopapp.catalog.access import acting_for, shop_api, shop_for_user, shop_staff_required
from shopapp.catalog.models import Shop
from shopapp.core.api import documented, respond
from shopapp.core.clock import venue_today
from shopapp.core.money import format_cents
from shopapp.core.transaction import commit
from shopapp.errors import DomainError, NotFoundError
from shopapp.extensions import db
from shopapp.orders import queries
from shopapp.payments import fec, gateway, invoices, no_show, onboarding, pdf, receipts, refunds, statements
from shopapp.payments.forms import ChartForm, CreditNoteForm, IssueMonthForm, LegalIdentityForm
from shopapp.payments.models import CommissionInvoice, Refund
from shopapp.payments.schemas import (
    FecQuery,
    InvoiceList,
    InvoiceQuery,
    StatementOut,
    StatementQuery,
    invoice_out,
    statement_out,
)
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
    # The numbered invoices replaced the month's unnumbered printout.
    shop = shop_for_user(current_user.id, shop_slug)
    return redirect(url_for("payments_pages.shop_invoices", shop_slug=shop.slug))


@bp.get("/api/v1/shop/statements")
@shop_api(token_allowed=True)
@documented("The shop's statement for a month: sales, commission, refunds, payouts in cents",
            response=StatementOut, auth="bearer", query=StatementQuery)
def api_statement():  # type: ignore[no-untyped-def]
    acting = acting_for(request.args.get("shop"))
    month = statements.parse_month(request.args.get("month"), today=venue_today())
    return respond(statement_out(statements.statement_for(acting.shop, month)))


# -- Connect onboarding by the shop (Express account, Account Link) ------------------------------------

def _onboarding_page(shop: Shop, error: str | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template("payments/shop_onboarding.html", shop=shop, available=gateway.connect_available(),
                           error=error), status


@bp.get("/ma-boutique/<shop_slug>/paiements")
@shop_staff_required
def shop_onboarding(shop_slug: str):  # type: ignore[no-untyped-def]
    """The shop's payout account, and Stripe's return (and refresh) page: reads the account's state."""
    shop = shop_for_user(current_user.id, shop_slug)
    if not gateway.connect_available() or not shop.stripe_account_id:
        return _onboarding_page(shop)
    try:
        onboarding.refresh_account(shop.id)
    except gateway.PaymentGatewayError as exc:
        return _onboarding_page(shop, error=exc.message)
    return _onboarding_page(shop)


@bp.post("/ma-boutique/<shop_slug>/paiements/stripe")
@shop_staff_required
def shop_onboarding_start(shop_slug: str):  # type: ignore[no-untyped-def]
    shop = shop_for_user(current_user.id, shop_slug)
    if not gateway.connect_available():
        return _onboarding_page(shop, status=503)
    back = url_for("payments_pages.shop_onboarding", shop_slug=shop.slug, _external=True)
    try:
        url = onboarding.start_onboarding(shop.id, refresh_url=back, return_url=back)
    except gateway.PaymentGatewayError as exc:
        return _onboarding_page(shop, error=exc.message, status=502)
    return redirect(url, code=303)


# -- association: commissions, Connect onboarding ------------------------------------------------------

@bp.get("/association/commissions")
@role_required(Role.ADMIN)
def commissions():  # type: ignore[no-untyped-def]
    return render_template("payments/commissions.html", rows=statements.commissions_by_month(),
                           no_show_fees=no_show.fees_by_month())


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


# -- residents' receipts -------------------------------------------------------------------------------

def _receipt(order_id: int) -> receipts.Receipt:
    """The signed-in resident's own order's receipt (the venue desk and admins may see any).
    :raise NotFoundError: someone else's order, or nothing paid or collected yet."""
    if current_user.has_role(Role.VENUE, Role.ADMIN):
        order = queries.order_by_id(order_id)
    else:
        order = queries.order_for_user(order_id, current_user.id)
    return receipts.receipt_for(order)


@bp.get("/mes-commandes/<int:order_id>/recu")
@login_required
def receipt(order_id: int) -> Response:
    return Response(pdf.receipt_html(_receipt(order_id)), mimetype="text/html")


@bp.get("/mes-commandes/<int:order_id>/recu.pdf")
@login_required
def receipt_pdf(order_id: int) -> Response:
    found = _receipt(order_id)
    name = f"recu-{found.order.number}.pdf"
    return Response(pdf.receipt_pdf(found), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


# -- commission invoices -------------------------------------------------------------------------------

def _invoice_response(invoice: CommissionInvoice, as_pdf: bool) -> Response:
    if not as_pdf:
        return Response(pdf.invoice_html(invoice), mimetype="text/html")
    name = f"{invoice.display_number}.pdf"
    return Response(pdf.invoice_pdf(invoice), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


def _identity_page(shop_id: int | None, action: str, back: str, title: str):  # type: ignore[no-untyped-def]
    identity = invoices.identity_for(shop_id)
    form = LegalIdentityForm(obj=identity)
    if form.validate_on_submit():
        invoices.save_identity(shop_id, name=form.name.data or "", address=form.address.data or "",
                               siret=form.siret.data or "", vat_number=form.vat_number.data or "")
        commit()
        flash(_("Identité légale enregistrée : elle figurera sur les prochaines factures."), "success")
        return redirect(action)
    status = 422 if form.errors else 200
    return render_template("payments/identity.html", form=form, action=action, back=back, title=title,
                           missing=invoices.missing_fields(identity)), status


@bp.get("/ma-boutique/<shop_slug>/factures")
@shop_staff_required
def shop_invoices(shop_slug: str):  # type: ignore[no-untyped-def]
    shop = shop_for_user(current_user.id, shop_slug)
    missing = invoices.missing_fields(invoices.identity_for(shop.id))
    return render_template("payments/shop_invoices.html", shop=shop, invoices=invoices.invoices(shop_id=shop.id),
                           missing=missing)


@bp.get("/ma-boutique/<shop_slug>/factures/<int:invoice_id>")
@shop_staff_required
def shop_invoice(shop_slug: str, invoice_id: int) -> Response:
    shop = shop_for_user(current_user.id, shop_slug)
    return _invoice_response(invoices.invoice_or_404(invoice_id, shop_id=shop.id), as_pdf=False)


@bp.get("/ma-boutique/<shop_slug>/factures/<int:invoice_id>.pdf")
@shop_staff_required
def shop_invoice_pdf(shop_slug: str, invoice_id: int) -> Response:
    shop = shop_for_user(current_user.id, shop_slug)
    return _invoice_response(invoices.invoice_or_404(invoice_id, shop_id=shop.id), as_pdf=True)


@bp.route("/ma-boutique/<shop_slug>/identite-legale", methods=["GET", "POST"])
@shop_staff_required
def shop_identity(shop_slug: str):  # type: ignore[no-untyped-def]
    shop = shop_for_user(current_user.id, shop_slug)
    return _identity_page(shop.id, url_for("payments_pages.shop_identity", shop_slug=shop.slug),
                          url_for("payments_pages.shop_invoices", shop_slug=shop.slug),
                          _("Identité légale de %(shop)s", shop=shop.name))


@bp.route("/association/identite-legale", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def association_identity():  # type: ignore[no-untyped-def]
    return _identity_page(None, url_for("payments_pages.association_identity"),
                          url_for("payments_pages.association_invoices"), _("Identité légale de l'association"))


def _month_arg() -> date:
    return statements.parse_month(request.args.get("month"), today=invoices.previous_month())


@bp.get("/association/factures")
@role_required(Role.ADMIN)
def association_invoices():  # type: ignore[no-untyped-def]
    try:
        month = _month_arg()
    except DomainError as exc:
        return render_template("payments/statement_error.html", error=exc.message), 422
    form = IssueMonthForm(month=f"{month:%Y-%m}")
    missing = invoices.missing_fields(invoices.identity_for(None))
    return render_template("payments/association_invoices.html", month=month, form=form, missing=missing,
                           invoices=invoices.invoices(month=month), shops={s.id: s for s in db.session.scalars(
                               select(Shop))})


@bp.post("/association/factures/emettre")
@role_required(Role.ADMIN)
def association_issue_invoices():  # type: ignore[no-untyped-def]
    form = IssueMonthForm()
    month_text = (form.month.data or "").strip()
    if not form.validate_on_submit():
        flash(_("Indiquez le mois à facturer (AAAA-MM)."), "error")
        return redirect(url_for("payments_pages.association_invoices"))
    try:
        month = statements.parse_month(month_text, today=venue_today())
        run = invoices.issue_month(month)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("payments_pages.association_invoices"))
    commit()
    flash(ngettext("%(num)d facture émise ou déjà émise pour ce mois.",
                   "%(num)d factures émises ou déjà émises pour ce mois.", len(run.issued)), "success")
    for reason in run.refused.values():
        flash(reason, "error")
    return redirect(url_for("payments_pages.association_invoices", month=f"{month:%Y-%m}"))


@bp.get("/association/factures/<int:invoice_id>")
@role_required(Role.ADMIN)
def association_invoice(invoice_id: int) -> Response:
    return _invoice_response(invoices.invoice_or_404(invoice_id), as_pdf=False)


@bp.get("/association/factures/<int:invoice_id>.pdf")
@role_required(Role.ADMIN)
def association_invoice_pdf(invoice_id: int) -> Response:
    return _invoice_response(invoices.invoice_or_404(invoice_id), as_pdf=True)


@bp.route("/association/factures/<int:invoice_id>/avoir", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def association_credit_note(invoice_id: int):  # type: ignore[no-untyped-def]
    invoice = invoices.invoice_or_404(invoice_id)
    form = CreditNoteForm()
    error = None
    if form.validate_on_submit():
        try:
            note = invoices.issue_credit_note(invoice.id, reason=form.reason.data or "",
                                              commission_ht_cents=form.amount_ht_cents.data)
        except DomainError as exc:
            db.session.rollback()
            error = exc.message
        else:
            number = note.display_number
            commit()
            flash(_("Avoir %(number)s émis.", number=number), "success")
            return redirect(url_for("payments_pages.association_invoices", month=f"{invoice.month:%Y-%m}"))
    status = 422 if (form.errors or error) else 200
    return render_template("payments/credit_note.html", invoice=invoice, form=form, error=error), status


@bp.get("/api/v1/association/invoices")
@role_required(Role.ADMIN)
@documented("The association's commission invoices and credit notes of a month", response=InvoiceList, auth="bearer",
            query=InvoiceQuery)
def api_invoices():  # type: ignore[no-untyped-def]
    month = statements.parse_month(request.args.get("month"), today=venue_today())
    shops = {s.id: s for s in db.session.scalars(select(Shop))}
    items = [invoice_out(i, shops[i.shop_id], url_for("payments_pages.association_invoice_pdf", invoice_id=i.id,
                                                      _external=True), invoices.credited_invoice(i))
             for i in invoices.invoices(month=month)]
    return respond(InvoiceList(items=items, page=1, per_page=max(len(items), 1), total=len(items)))


# -- accounting export (FEC) ---------------------------------------------------------------------------

def _fec_response(year: int) -> Response:
    siren = invoices.identity_for(None).siret[:9]
    return Response(fec.fec_text(year), mimetype="text/plain",
                    headers={"Content-Disposition": f'attachment; filename="{fec.fec_filename(siren, year)}"'})


def _accounting_page(year: int, errors: dict[str, str] | None = None, values: dict[str, tuple[str, str]] | None = None,
                     status: int = 200):  # type: ignore[no-untyped-def]
    return render_template("payments/accounting.html", year=year, chart=values or fec.chart(),
                           labels=fec.DEFAULT_ACCOUNTS, errors=errors or {}, form=ChartForm()), status


@bp.get("/association/comptabilite")
@role_required(Role.ADMIN)
def accounting():  # type: ignore[no-untyped-def]
    try:
        year = fec.parse_year(request.args.get("year"), today=venue_today())
    except DomainError as exc:
        return render_template("payments/statement_error.html", error=exc.message), 422
    return _accounting_page(year)


@bp.post("/association/comptabilite/plan")
@role_required(Role.ADMIN)
def accounting_chart():  # type: ignore[no-untyped-def]
    form = ChartForm()
    values = {key: ((request.form.get(f"number-{key}") or "").strip(), (request.form.get(f"label-{key}") or "").strip())
              for key in fec.DEFAULT_ACCOUNTS}
    errors = {}
    for key, (number, label) in values.items():
        if not (number.isdigit() and 3 <= len(number) <= 20):
            errors[f"number-{key}"] = _("Numéro de compte : de 3 à 20 chiffres.")
        if not label or len(label) > 120:
            errors[f"label-{key}"] = _("Intitulé : obligatoire, 120 caractères au plus.")
    if not form.validate_on_submit() or errors:
        return _accounting_page(venue_today().year, errors, values, 422)
    fec.save_chart(values)
    commit()
    flash(_("Plan comptable enregistré."), "success")
    return redirect(url_for("payments_pages.accounting"))


@bp.get("/association/comptabilite/fec")
@role_required(Role.ADMIN)
def accounting_fec() -> Response:
    return _fec_response(fec.parse_year(request.args.get("year"), today=venue_today()))


@bp.get("/api/v1/association/exports/fec")
@role_required(Role.ADMIN)
@documented("The association's year as a FEC file (text/plain, tab-separated, the 18 legal columns)",
            auth="bearer", query=FecQuery)
def api_fec() -> Response:
    return _fec_response(fec.parse_year(request.args.get("year"), today=venue_today()))
