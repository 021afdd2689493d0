"""HTML for venue staff (create, edit, publish, cancel, approve proposals, the dashboard, and the pickup
desk's order page, which shows the order with the check-in of the animations during its slot) and for
shops (propose an animation featuring their products)."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from shopapp.accounts.access import role_required
from shopapp.accounts.models import Role
from shopapp.animations import dashboard, queries, registrations, services
from shopapp.animations.forms import AnimationForm, CheckInForm, WalkInForm
from shopapp.animations.models import Animation
from shopapp.catalog import images
from shopapp.catalog.access import shop_for_user, shop_staff_required
from shopapp.catalog.models import Product, Shop
from shopapp.core.clock import as_utc, local_to_utc, venue_today, venue_zone
from shopapp.errors import DomainError, NotFoundError
from shopapp.extensions import db
from shopapp.orders import fulfilment
from shopapp.orders import queries as order_queries
from shopapp.orders.forms import CollectForm, ManualDropOffForm

bp = Blueprint("venue_animations", __name__)


def _product_choices(shop_id: int | None = None) -> list[SelectChoice]:
    query = select(Product).join(Shop).where(Product.is_active.is_(True)).order_by(Shop.name, Product.name)
    if shop_id is not None:
        query = query.where(Product.shop_id == shop_id)
    return [SelectChoice(p.id, f"{p.shop.name} — {p.name}") for p in db.session.scalars(query)]


def _image_path(form: AnimationForm, current: str | None) -> str | None:
    """The image the animation will have: a new upload (checked and stored before anything else
    changes), none when the box to remove it is ticked, else the current one.

    :raise images.ImageRejected: the upload is not an acceptable image.
    """
    upload = form.image.data
    if upload:
        return images.store_image(upload.read(), "animations")
    return None if form.remove_image.data else current


def _data(form: AnimationForm, image_path: str | None) -> services.AnimationData:
    return services.AnimationData(
        title=form.title.data or "", kind=form.kind.data or "other", description=form.description.data or "",
        starts_at=local_to_utc(form.starts_at.data, field="starts_at"),  # type: ignore[arg-type]
        ends_at=local_to_utc(form.ends_at.data, field="ends_at"),  # type: ignore[arg-type]
        capacity=form.capacity.data or 0, audience=form.audience.data or "everyone",
        product_ids=list(form.product_ids.data or []), image_path=image_path)


def _attach_errors(form: AnimationForm, error: DomainError) -> str | None:
    if isinstance(error, images.ImageRejected):
        # The full French message next to the field; the form's error summary links to it.
        form.image.errors = [*form.image.errors, error.message]
        return None
    for name, message in error.fields.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
    return error.message


@bp.get("/lieu/animations")
@role_required(Role.VENUE, Role.ADMIN)
def venue_list():  # type: ignore[no-untyped-def]
    return render_template("animations/venue_list.html", animations=services.all_animations(), form=CheckInForm())


@bp.route("/lieu/animations/nouvelle", methods=["GET", "POST"])
@role_required(Role.VENUE, Role.ADMIN)
def venue_new():  # type: ignore[no-untyped-def]
    form = AnimationForm()
    form.product_ids.choices = _product_choices()
    error = None
    if form.validate_on_submit():
        try:
            animation = services.create_animation(_data(form, _image_path(form, None)), actor_id=current_user.id)
        except DomainError as exc:
            error = _attach_errors(form, exc)
        else:
            flash(_("Animation créée en brouillon."), "success")
            return redirect(url_for("venue_animations.venue_edit", animation_id=animation.id))
    return render_template("animations/venue_form.html", form=form, animation=None, error=error,
                           registrants=[]), 422 if (error or form.errors) else 200


@bp.route("/lieu/animations/<int:animation_id>", methods=["GET", "POST"])
@role_required(Role.VENUE, Role.ADMIN)
def venue_edit(animation_id: int):  # type: ignore[no-untyped-def]
    animation = queries.get_animation(animation_id)
    form = AnimationForm(obj=None if request.method == "POST" else _form_values(animation))
    form.product_ids.choices = _product_choices()
    error = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.update_animation(animation_id, _data(form, _image_path(form, animation.image_path)),
                                      actor_id=current_user.id)
        except DomainError as exc:
            error = _attach_errors(form, exc)
        else:
            flash(_("Animation enregistrée."), "success")
            return redirect(url_for("venue_animations.venue_edit", animation_id=animation_id))
    return _render_edit(animation, form, error, WalkInForm(), 422 if (error or form.errors) else 200)


def _render_edit(animation: Animation, form: AnimationForm, error: str | None, walk_in_form: WalkInForm,
                 status: int) -> tuple[str, int]:
    registrants = queries.registrants_of(animation.id, ("registered", "waitlisted"))
    return render_template("animations/venue_form.html", form=form, animation=animation, error=error,
                           registrants=registrants, slots=queries.slots_of(animation),
                           walk_in_form=walk_in_form, walk_ins=queries.walk_ins_of(animation.id)), status


@bp.post("/lieu/animations/<int:animation_id>/sans-inscription")
@role_required(Role.VENUE, Role.ADMIN)
def venue_walk_in(animation_id: int):  # type: ignore[no-untyped-def]
    """The desk lets in people who came without an order or booking, within the seats left."""
    animation = queries.get_animation(animation_id)
    walk_in_form = WalkInForm()
    status = 422
    if walk_in_form.validate_on_submit():
        try:
            registrations.add_walk_in(animation_id, walk_in_form.seats.data or 0, name=walk_in_form.name.data or "",
                                      actor_id=current_user.id)
        except DomainError as exc:
            if exc.status == 404:
                raise
            walk_in_form.seats.errors = [*walk_in_form.seats.errors, exc.message]
            status = exc.status
        else:
            flash(_("Entrée enregistrée : ces personnes comptent parmi les présents."), "success")
            return redirect(url_for("venue_animations.venue_edit", animation_id=animation_id) + "#walk-ins-title")
    form = AnimationForm(obj=_form_values(animation), formdata=None)
    form.product_ids.choices = _product_choices()
    return _render_edit(animation, form, None, walk_in_form, status)


class _Values:
    def __init__(self, animation: Animation):
        zone = venue_zone()
        self.title = animation.title
        self.kind = animation.kind
        self.description = animation.description
        self.starts_at = _local_naive(animation.starts_at, zone)
        self.ends_at = _local_naive(animation.ends_at, zone)
        self.capacity = animation.capacity
        self.audience = animation.audience
        self.product_ids = [p.id for p in animation.products]


def _local_naive(value, zone):  # type: ignore[no-untyped-def]

    return as_utc(value).astimezone(zone).replace(tzinfo=None)


def _form_values(animation: Animation) -> _Values:
    return _Values(animation)


@bp.post("/lieu/animations/<int:animation_id>/publier")
@role_required(Role.VENUE, Role.ADMIN)
def venue_publish(animation_id: int):  # type: ignore[no-untyped-def]
    return _act(animation_id, services.publish_animation, _("Animation publiée dans l'agenda."))


@bp.post("/lieu/animations/<int:animation_id>/annuler")
@role_required(Role.VENUE, Role.ADMIN)
def venue_cancel(animation_id: int):  # type: ignore[no-untyped-def]
    return _act(animation_id, services.cancel_animation, _("Animation annulée : chaque inscrit est prévenu."))


def _act(animation_id: int, action, message: str):  # type: ignore[no-untyped-def]
    if not CheckInForm().validate_on_submit():
        flash(_("Le formulaire a expiré. Merci de réessayer."), "error")
        return redirect(url_for("venue_animations.venue_list"))
    try:
        action(animation_id, actor_id=current_user.id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
    else:
        flash(message, "success")
    return redirect(url_for("venue_animations.venue_edit", animation_id=animation_id))


def _week_asked() -> date:
    """The Monday of the week in `?semaine=` (any day of it), else of the current week."""
    try:
        monday = date.fromisoformat(request.args.get("semaine", ""))
    except ValueError:
        monday = venue_today()
    return monday - timedelta(days=monday.weekday())


@bp.get("/lieu/tableau-de-bord")
@role_required(Role.VENUE, Role.ADMIN)
def venue_dashboard():  # type: ignore[no-untyped-def]
    monday = _week_asked()
    return render_template("animations/dashboard.html", report=dashboard.week_report(monday),
                           previous_week=(monday - timedelta(days=7)).isoformat(),
                           next_week=(monday + timedelta(days=7)).isoformat())


@bp.get("/lieu/frequentation")
@role_required(Role.VENUE, Role.ADMIN)
def venue_occupancy():  # type: ignore[no-untyped-def]
    monday = _week_asked()
    return render_template("animations/occupancy.html", report=dashboard.occupancy_report(monday),
                           previous_week=(monday - timedelta(days=7)).isoformat(),
                           next_week=(monday + timedelta(days=7)).isoformat())


# -- the pickup desk's order page ----------------------------------------------------------------------

def _render_desk_order(order_id: int, form: CollectForm, error: str | None = None, status: int = 200,
                       drop_off_form: ManualDropOffForm | None = None,
                       drop_off_part_id: int | None = None) -> tuple[str, int]:
    """The order, its hand-over form, the desk's drop-off form for each ready part, and the resident's
    registrations for animations during the slot."""
    order = order_queries.order_by_id(order_id)
    return render_template("venue/order.html", order=order, form=form, error=error,
                           drop_off_form=drop_off_form or ManualDropOffForm(formdata=None),
                           drop_off_part_id=drop_off_part_id,
                           checkin_registrations=registrations.registrations_for_pickup(order.id)), status


@bp.get("/comptoir/commandes/<int:order_id>")
@role_required(Role.VENUE, Role.ADMIN)
def desk_order(order_id: int):  # type: ignore[no-untyped-def]
    return _render_desk_order(order_id, CollectForm())


@bp.post("/comptoir/commandes/<int:order_id>/remise")
@role_required(Role.VENUE, Role.ADMIN)
def desk_collect(order_id: int):  # type: ignore[no-untyped-def]
    form = CollectForm()
    error = None
    if form.validate_on_submit():
        try:
            fulfilment.collect_order(order_id, actor_id=current_user.id, paid_via=form.paid_via.data)
        except DomainError as exc:
            if exc.status == 404:
                raise
            error = exc.message
        else:
            flash(_("Commande remise. Bonne journée !"), "success")
            return redirect(url_for("venue_animations.desk_order", order_id=order_id))
    else:
        error = _("Le formulaire a expiré. Merci de réessayer.")
    return _render_desk_order(order_id, form, error, 422)


@bp.post("/comptoir/commandes/<int:order_id>/parts/<int:part_id>/depot")
@role_required(Role.VENUE, Role.ADMIN)
def desk_manual_drop_off(order_id: int, part_id: int):  # type: ignore[no-untyped-def]
    """The desk records a shop's bag by hand, with a reason (the same service as a scanned label)."""
    order = order_queries.order_by_id(order_id)
    if part_id not in {part.id for part in order.parts}:
        raise NotFoundError("Commande introuvable.")
    form = ManualDropOffForm()
    error = None
    if form.validate_on_submit():
        try:
            fulfilment.desk_drop_off(part_id, actor_id=current_user.id, via=fulfilment.DROP_OFF_MANUAL,
                                     reason=form.reason.data or "")
        except DomainError as exc:
            if exc.status == 404:
                raise
            error = exc.message
        else:
            flash(_("Dépôt enregistré par le comptoir."), "success")
            return redirect(url_for("venue_animations.desk_order", order_id=order_id))
    elif not form.reason.errors:
        error = _("Le formulaire a expiré. Merci de réessayer.")
    else:
        error = _("Indiquez la raison du dépôt.")
    return _render_desk_order(order_id, CollectForm(formdata=None), error, 422, drop_off_form=form,
                              drop_off_part_id=part_id)


# -- shops ----------------------------------------------------------------------------------------------

@bp.route("/boutique/animations", methods=["GET", "POST"])
@shop_staff_required
def shop_propose():  # type: ignore[no-untyped-def]
    shop = shop_for_user(current_user.id, request.args.get("shop"))
    form = AnimationForm()
    form.product_ids.choices = _product_choices(shop.id)
    error = None
    if form.validate_on_submit():
        try:
            services.propose_animation(_data(form, _image_path(form, None)), shop_id=shop.id,
                                       actor_id=current_user.id)
        except DomainError as exc:
            error = _attach_errors(form, exc)
        else:
            flash(_("Proposition envoyée : l'équipe du lieu la validera avant publication."), "success")
            return redirect(url_for("venue_animations.shop_propose", shop=shop.slug))
    return render_template("animations/shop_propose.html", form=form, shop=shop, error=error,
                           animations=services.proposals_for_shop(shop.id)), 422 if (error or form.errors) else 200
