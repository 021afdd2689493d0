"""HTML: basket, my orders, a shop's parts and picking list, the venue's pickup desk and its slot load.

The checkout and change-slot pages (shopapp/checkout/views.py) and the desk's order page
(shopapp/animations/venue_views.py) show animations too, so they live above both packages."""

from __future__ import annotations

from datetime import date, timedelta

import segno
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup

from shopapp.accounts.access import login_required, public, role_required
from shopapp.accounts.models import Role
from shopapp.catalog.access import shop_for_user, shop_staff_required, shops_for_user
from shopapp.core.clock import venue_today
from shopapp.core.urls import safe_next
from shopapp.errors import DomainError, json_error
from shopapp.orders import basket as baskets
from shopapp.orders import fulfilment, queries, reorder, slots
from shopapp.orders.forms import (
    AddToBasketForm,
    BagLabelForm,
    CancelOrderForm,
    DeskSearchForm,
    DropOffForm,
    PartStatusForm,
    QuantityForm,
    RefuseLineForm,
    RefusePartForm,
)
from shopapp.orders.session import current_owner, merge_after_log_in
from shopapp.orders.states import ORDER_LABELS, PAID_VIA_LABELS, PART_LABELS, PartStatus

bp = Blueprint("orders", __name__)
# The anonymous basket joins the account's on the first request after any log-in (accounts.sessions).
bp.before_app_request(merge_after_log_in)

NEXT_PART_STATUS = {
    PartStatus.RECEIVED: (PartStatus.PREPARING, _l("Commencer la préparation")),
    PartStatus.PREPARING: (PartStatus.READY, _l("Marquer prête")),
    PartStatus.READY: (PartStatus.AT_VENUE, _l("Déposée à la Halle")),
}


@bp.app_context_processor
def basket_globals() -> dict[str, object]:
    def basket_count() -> int:
        return baskets.item_count(current_owner())

    return {"basket_count": basket_count, "order_labels": ORDER_LABELS, "part_labels": PART_LABELS,
            "paid_via_labels": PAID_VIA_LABELS}



def _day_arg() -> date:
    try:
        return date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return venue_today()


# -- basket -------------------------------------------------------------------------------------------

def _render_basket(error: str | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    view = baskets.view_basket(current_owner())
    return render_template("orders/basket.html", basket=view, quantity_form=QuantityForm(), error=error), status


@bp.get("/panier")
@public
def basket():  # type: ignore[no-untyped-def]
    return _render_basket()


def _wants_json() -> bool:
    """The add button's script asks for JSON; a plain form post gets a page."""
    return request.accept_mimetypes.best == "application/json"


def _add_refused(message: str, back: str | None, code: str = "invalid", fields: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """A refused add: JSON for the script; else back to the page it came from with the reason, or the basket."""
    if _wants_json():
        return json_error(422, code, message, fields)
    if back:
        flash(message, "error")
        return redirect(back)
    return _render_basket(message, 422)


@bp.post("/panier/ajouter")
@public
def basket_add():  # type: ignore[no-untyped-def]
    form = AddToBasketForm()
    back = safe_next(form.next.data, "") or None
    if not form.validate_on_submit():
        return _add_refused(_("Quantité invalide : choisissez entre 1 et 99."), back)
    owner = current_owner(create=True)
    try:
        baskets.add_line(owner, form.product_id.data or 0, form.quantity.data or 0)
    except DomainError as error:
        return _add_refused(error.message, back, error.code, error.fields)
    message = _("Ajouté à votre panier.")
    if _wants_json():
        count = baskets.item_count(owner)
        return jsonify({
            "count": count, "message": message,
            "label": ngettext("%(num)d article", "%(num)d articles", count),
            "status": ngettext("Votre panier contient %(num)d article.", "Votre panier contient %(num)d articles.",
                               count),
        })
    flash(message, "success")
    return redirect(back or url_for("orders.basket"))


@bp.post("/panier/lignes/<int:product_id>")
@public
def basket_set(product_id: int):  # type: ignore[no-untyped-def]
    form = QuantityForm()
    if not form.validate_on_submit():
        return _render_basket(_("Quantité invalide : choisissez entre 0 et 99."), 422)
    try:
        baskets.set_quantity(current_owner(), product_id, form.quantity.data or 0)
    except DomainError as error:
        return _render_basket(error.message, 422)
    flash(_("Panier mis à jour."), "success")
    return redirect(url_for("orders.basket"))


@bp.post("/panier/lignes/<int:product_id>/retirer")
@public
def basket_remove(product_id: int):  # type: ignore[no-untyped-def]
    try:
        baskets.remove_line(current_owner(), product_id)
    except DomainError as error:
        return _render_basket(error.message, 422)
    flash(_("Produit retiré du panier."), "success")
    return redirect(url_for("orders.basket"))


# The checkout page and the change-slot page live in shopapp/checkout/views.py: they show the animations
# of each slot, and the checkout page also opens the payment.

# -- my orders ----------------------------------------------------------------------------------------

@bp.get("/mes-commandes")
@login_required
def my_orders():  # type: ignore[no-untyped-def]
    items, _total = queries.orders_of_user(current_user.id, per_page=100)
    return render_template("orders/my_orders.html", orders=items)


@bp.get("/mes-commandes/<int:order_id>")
@login_required
def my_order(order_id: int):  # type: ignore[no-untyped-def]
    order = queries.order_for_user(order_id, current_user.id)
    return render_template("orders/my_order.html", order=order, qr=_qr(order.pickup_code), form=PartStatusForm(),
                           cancellable=fulfilment.is_cancellable(order), cancel_form=CancelOrderForm(formdata=None),
                           slot_changeable=fulfilment.can_change_slot(order))


@bp.post("/mes-commandes/<int:order_id>/annuler")
@login_required
def cancel_my_order(order_id: int):  # type: ignore[no-untyped-def]
    form = CancelOrderForm()
    if not form.validate_on_submit():  # the box asking to confirm left unticked: nothing is cancelled
        order = queries.order_for_user(order_id, current_user.id)  # another resident's order: 404
        return render_template("orders/my_order.html", order=order, qr=_qr(order.pickup_code), form=PartStatusForm(),
                               cancellable=fulfilment.is_cancellable(order), cancel_form=form,
                               slot_changeable=fulfilment.can_change_slot(order)), 422
    try:
        fulfilment.cancel_order(order_id, actor_id=current_user.id, owner_id=current_user.id)
    except DomainError as error:
        if error.status == 404:
            raise
        order = queries.order_for_user(order_id, current_user.id)
        return render_template("orders/my_order.html", order=order, qr=_qr(order.pickup_code), form=PartStatusForm(),
                               cancellable=False, slot_changeable=fulfilment.can_change_slot(order),
                               error=error.message), 422
    flash(_("Votre commande est annulée."), "success")
    return redirect(url_for("orders.my_order", order_id=order_id))


@bp.post("/mes-commandes/<int:order_id>/commander-a-nouveau")
@login_required
def reorder_my_order(order_id: int):  # type: ignore[no-untyped-def]
    result = reorder.reorder(order_id, current_user.id)
    if result.added:
        flash(ngettext("%(num)d article ajouté à votre panier.", "%(num)d articles ajoutés à votre panier.",
                       result.added_count), "success")
    for item in result.unavailable:
        flash(_reorder_notice(item), "warning")
    return redirect(url_for("orders.basket"))


def _reorder_notice(item: reorder.Unavailable) -> str:
    if item.reason == reorder.WITHDRAWN:
        return _("« %(name)s » n'est plus proposé.", name=item.name)
    if item.reason == reorder.SOLD_OUT:
        return _("« %(name)s » est en rupture de stock.", name=item.name)
    if item.added == 0:
        return _("« %(name)s » : votre panier contient déjà tout le stock disponible.", name=item.name)
    return ngettext("« %(name)s » : stock insuffisant, %(num)d ajouté au lieu de %(wanted)d.",
                    "« %(name)s » : stock insuffisant, %(num)d ajoutés au lieu de %(wanted)d.",
                    item.added, name=item.name, wanted=item.wanted)


def _qr(code: str) -> str:
    """The pickup code as a QR code, an SVG data URI (the CSP allows data: images, not inline SVG scripts)."""
    return segno.make(code, error="m", micro=False).svg_data_uri(scale=8, border=2, dark="#1f2a24")


# -- shopkeeper ---------------------------------------------------------------------------------------

@bp.get("/preparation")
@shop_staff_required
def shop_parts():  # type: ignore[no-untyped-def]
    return _render_shop_parts()


def _render_shop_parts(error: str | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    shop = _acting_shop()
    day = _day_arg() if request.args.get("date") else None
    groups = queries.parts_for_shop(shop.id, day=day)
    return render_template("orders/shop_parts.html", shop=shop, groups=groups, day=day, form=PartStatusForm(),
                           next_status=NEXT_PART_STATUS, shops=shops_for_user(current_user.id), error=error,
                           today=venue_today()), status


def _acting_shop():  # type: ignore[no-untyped-def]
    """The shopkeeper's shop named by ?shop=, else their first one; another shop's slug → 404."""
    slug = request.args.get("shop")
    if slug is None:
        shops = shops_for_user(current_user.id)
        slug = shops[0].slug if shops else None
    return shop_for_user(current_user.id, slug)


@bp.post("/preparation/parts/<int:part_id>/statut")
@shop_staff_required
def shop_part_status(part_id: int):  # type: ignore[no-untyped-def]
    shop = _acting_shop()
    form = PartStatusForm()
    if not form.validate_on_submit():
        return _render_shop_parts(_("Statut manquant."), 422)
    if form.status.data == PartStatus.REJECTED:  # a refusal goes through its confirmation page
        return redirect(url_for("orders.refuse_part", part_id=part_id, shop=shop.slug))
    try:
        fulfilment.set_part_status(part_id, form.status.data or "", shop_id=shop.id, actor_id=current_user.id)
    except DomainError as error:
        if error.status == 404:
            raise
        return _render_shop_parts(error.message, 422)
    flash(_("Statut mis à jour."), "success")
    # Back to the same order on the page, so the shopkeeper keeps their place in a long list.
    return redirect(url_for("orders.shop_parts", shop=shop.slug, _anchor=f"part-{part_id}"))


@bp.get("/preparation/parts/<int:part_id>/etiquette")
@shop_staff_required
def bag_label(part_id: int):  # type: ignore[no-untyped-def]
    """The bag's printable label: QR code and code of the part's label, order, resident, slot, bags."""
    shop = _acting_shop()
    part = queries.part_for_shop(part_id, shop.id)
    form = BagLabelForm(request.args)
    bags = form.bags.data if form.validate() and form.bags.data else 1
    # A full QR code (phones and desk scanners do not all read Micro QR). segno writes the SVG itself from
    # a label of the code alphabet: nothing user-typed reaches it.
    code = segno.make(part.label, error="m", micro=False)
    qr = Markup(code.svg_inline(scale=6, border=4, dark="#000", omitsize=True))  # noqa: S704
    return render_template("orders/bag_label.html", shop=shop, part=part, order=part.order, form=form,
                           bags=bags, qr=qr)


@bp.route("/preparation/parts/<int:part_id>/refuser", methods=["GET", "POST"])
@shop_staff_required
def refuse_part(part_id: int):  # type: ignore[no-untyped-def]
    """Refuse a whole part (out of stock): its lines, then a confirmation box, then the refusal."""
    shop = _acting_shop()
    part = queries.part_for_shop(part_id, shop.id)  # another shop's part → 404
    form = RefusePartForm()
    error = None
    if form.validate_on_submit():
        try:
            fulfilment.set_part_status(part_id, PartStatus.REJECTED, shop_id=shop.id, actor_id=current_user.id)
        except DomainError as exc:
            if exc.status == 404:
                raise
            error = exc.message
        else:
            flash(_("Commande refusée. Le client est prévenu."), "success")
            return redirect(url_for("orders.shop_parts", shop=shop.slug, _anchor=f"part-{part_id}"))
    status = 422 if request.method == "POST" else 200
    return render_template("orders/refuse_part.html", shop=shop, part=part, form=form, error=error), status


def _refusable_line(shop_id: int, part_id: int, line_id: int):  # type: ignore[no-untyped-def]
    part = queries.part_for_shop(part_id, shop_id)  # another shop's part → 404
    line = next((line for line in part.lines if line.id == line_id), None)
    if line is None:
        abort(404)
    return part, line


@bp.route("/preparation/parts/<int:part_id>/lignes/<int:line_id>/refuser", methods=["GET", "POST"])
@shop_staff_required
def refuse_line(part_id: int, line_id: int):  # type: ignore[no-untyped-def]
    """Refuse one line of a part being prepared: a reason, then a confirmation box, then the refusal."""
    shop = _acting_shop()
    part, line = _refusable_line(shop.id, part_id, line_id)
    form = RefuseLineForm()
    error = None
    if form.validate_on_submit():
        try:
            fulfilment.refuse_line(part_id, line_id, form.reason_text(), shop_id=shop.id, actor_id=current_user.id)
        except DomainError as exc:
            if exc.status == 404:
                raise
            error = exc.message
        else:
            flash(_("Article refusé : %(name)s. Le client est prévenu.", name=line.name), "success")
            return redirect(url_for("orders.shop_parts", shop=shop.slug, _anchor=f"part-{part_id}"))
    status = 422 if request.method == "POST" else 200
    return render_template("orders/refuse_line.html", shop=shop, part=part, line=line, form=form,
                           error=error), status


@bp.get("/preparation/liste")
@shop_staff_required
def picking_list():  # type: ignore[no-untyped-def]
    shop = _acting_shop()
    day = _day_arg()
    groups = queries.parts_for_shop(shop.id, day=day)
    return render_template("orders/picking_list.html", shop=shop, groups=groups, day=day,
                           totals=queries.product_totals(groups))


# -- venue desk ---------------------------------------------------------------------------------------

@bp.get("/comptoir")
@role_required(Role.VENUE, Role.ADMIN)
def desk():  # type: ignore[no-untyped-def]
    search = DeskSearchForm(request.args)
    day = _day_arg()
    found = None
    if search.q.data:
        found = queries.search_orders(search.q.data)
        exact = [o for o in found if o.pickup_code == search.q.data.strip().upper()]
        if len(exact) == 1:
            return redirect(url_for("venue_animations.desk_order", order_id=exact[0].id))
    groups = queries.pickups_of_day(day)
    return render_template("venue/desk.html", search=search, day=day, groups=[g for g in groups if g.orders],
                           empty_slots=[g.slot for g in groups if not g.orders],
                           summary=queries.desk_summary(groups), found=found,
                           previous_day=day - timedelta(days=1), next_day=day + timedelta(days=1))


# The last drop-off's result, kept in the session between the POST and the page it redirects to.
_LAST_DROP_OFF = "desk_last_drop_off"


@bp.get("/comptoir/depots")
@role_required(Role.VENUE, Role.ADMIN)
def desk_drop_offs():  # type: ignore[no-untyped-def]
    return _render_drop_offs(DropOffForm(formdata=None), session.pop(_LAST_DROP_OFF, None))


def _render_drop_offs(form: DropOffForm, last: dict[str, object] | None, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template("venue/drop_offs.html", form=form, last=last,
                           recent=queries.recent_drop_offs()), status


@bp.post("/comptoir/depots")
@role_required(Role.VENUE, Role.ADMIN)
def desk_drop_off():  # type: ignore[no-untyped-def]
    form = DropOffForm()
    if not form.validate_on_submit():
        message = form.label.errors[0] if form.label.errors else _("Le formulaire a expiré. Merci de réessayer.")
        return _render_drop_offs(form, {"ok": False, "label": form.label.data or "", "message": str(message)}, 422)
    label = fulfilment.normalize_label(form.label.data or "")
    try:
        part = fulfilment.part_by_label(label)
        part = fulfilment.desk_drop_off(part.id, actor_id=current_user.id, via=fulfilment.DROP_OFF_SCAN)
    except DomainError as error:
        last = {"ok": False, "label": label, "message": error.message}
    else:
        order = part.order
        if order.is_all_at_venue:
            message = _("Sac de %(shop)s déposé : la commande %(number)s est complète.",
                        shop=part.shop.name, number=order.number)
        else:
            waiting = len([p for p in order.remaining_parts if p.status != PartStatus.AT_VENUE])
            message = ngettext("Sac de %(shop)s déposé pour la commande %(number)s : %(num)d part attendue encore.",
                               "Sac de %(shop)s déposé pour la commande %(number)s : %(num)d parts attendues encore.",
                               waiting, shop=part.shop.name, number=order.number)
        last = {"ok": True, "label": label, "message": message, "order_id": order.id}
    session[_LAST_DROP_OFF] = last
    return redirect(url_for("orders.desk_drop_offs"))


@bp.get("/comptoir/charge")
@role_required(Role.VENUE, Role.ADMIN)
def desk_load():  # type: ignore[no-untyped-def]
    day = _day_arg()
    return render_template("venue/load.html", day=day, slots=slots.slots_of_local_day(day),
                           previous_day=day - timedelta(days=1), next_day=day + timedelta(days=1))
