"""HTML for residents: the agenda (list and week), an animation's page with its products and
registration, "my animations" with the personal calendar feed, and the desk check-in."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from shopapp.accounts.access import login_required, public, role_required
from shopapp.accounts.models import Role
from shopapp.animations import calendar, queries, registrations
from shopapp.animations.forms import KIND_LABELS, REGISTRATION_LABELS, STATUS_LABELS, CheckInForm, RegisterForm
from shopapp.animations.picker import viewer_id
from shopapp.core.clock import as_utc, utcnow, venue_today, venue_zone
from shopapp.errors import DomainError

bp = Blueprint("animations", __name__)

LIST_DAYS = 42


@bp.app_context_processor
def animation_globals() -> dict[str, object]:
    return {"animation_kinds": KIND_LABELS, "animation_statuses": STATUS_LABELS,
            "registration_labels": REGISTRATION_LABELS}



def _week_start(raw: str | None) -> date:
    try:
        year, week = (raw or "").split("-W")
        return date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        today = venue_today()
        return today - timedelta(days=today.weekday())


def _iso_week(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


@bp.get("/agenda")
@public
def agenda():  # type: ignore[no-untyped-def]
    zone = venue_zone()
    if request.args.get("vue") == "semaine":
        monday = _week_start(request.args.get("semaine"))
        start = datetime.combine(monday, time(0), tzinfo=zone)
        found = queries.list_animations(start, start + timedelta(days=7), viewer_id())
        days = [(monday + timedelta(days=i),
                 [a for a in found if as_utc(a.starts_at).astimezone(zone).date() == monday + timedelta(days=i)])
                for i in range(7)]
        return render_template("animations/week.html", days=days, monday=monday,
                               previous_week=_iso_week(monday - timedelta(days=7)),
                               next_week=_iso_week(monday + timedelta(days=7)), this_week=_iso_week(monday))
    now = utcnow()
    found = queries.list_animations(now, now + timedelta(days=LIST_DAYS), viewer_id())
    return render_template("animations/agenda.html", animations=found)


@bp.get("/agenda/<int:animation_id>")
@public
def animation_page(animation_id: int):  # type: ignore[no-untyped-def]
    return _render_animation(animation_id)


def _render_animation(animation_id: int, form: RegisterForm | None = None, error: str | None = None,
                      status: int = 200):  # type: ignore[no-untyped-def]
    animation = queries.visible_animation(animation_id, viewer_id())
    mine = queries.active_registration(animation.id, current_user.id) if current_user.is_authenticated else None
    return render_template(
        "animations/animation.html", animation=animation, slots=queries.slots_of(animation),
        registration=mine, position=queries.waitlist_position(mine) if mine else None,
        form=form or RegisterForm(), error=error, is_open=as_utc(animation.starts_at) > utcnow(),
    ), status


@bp.post("/agenda/<int:animation_id>/inscription")
@login_required
def register(animation_id: int):  # type: ignore[no-untyped-def]
    form = RegisterForm()
    if not form.validate_on_submit():
        return _render_animation(animation_id, form, _("Nombre de places invalide."), 422)
    try:
        registration = registrations.register(animation_id, current_user.id, form.seats.data or 1)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _render_animation(animation_id, form, exc.message, 422)
    if registration.status == "registered":
        flash(_("C'est noté : vous êtes inscrit. Un courriel de confirmation arrive."), "success")
    else:
        flash(_("L'animation est complète : vous êtes sur la liste d'attente. Nous vous écrirons si une place "
                "se libère."), "info")
    return redirect(url_for("animations.animation_page", animation_id=animation_id))


@bp.post("/agenda/<int:animation_id>/desinscription")
@login_required
def unregister(animation_id: int):  # type: ignore[no-untyped-def]
    if not RegisterForm().validate_on_submit():
        return _render_animation(animation_id, None, _("Le formulaire a expiré. Merci de réessayer."), 422)
    registrations.cancel_registration(animation_id, current_user.id)
    flash(_("Votre inscription est annulée."), "success")
    return redirect(url_for("animations.animation_page", animation_id=animation_id))


@bp.get("/mes-animations")
@login_required
def my_animations():  # type: ignore[no-untyped-def]
    now = utcnow()
    items = queries.registrations_of(current_user.id)
    upcoming = [r for r in items if as_utc(r.animation.ends_at) >= now]
    past = [r for r in items if as_utc(r.animation.ends_at) < now]
    return render_template("animations/mine.html", upcoming=upcoming, past=past, form=RegisterForm(),
                           has_feed=calendar.has_feed(current_user.id), new_feed=session.pop("new_feed", None))


@bp.post("/mes-animations/agenda-personnel")
@login_required
def create_feed():  # type: ignore[no-untyped-def]
    if RegisterForm().validate_on_submit():
        token = calendar.create_feed(current_user.id)
        # Shown once on the next page; only its hash is stored.
        session["new_feed"] = url_for("animations_api.personal_ics", token=token, _external=True)
    return redirect(url_for("animations.my_animations"))


@bp.post("/mes-animations/agenda-personnel/revoquer")
@login_required
def revoke_feed():  # type: ignore[no-untyped-def]
    if RegisterForm().validate_on_submit():
        calendar.revoke_feed(current_user.id)
        flash(_("L'ancien lien d'agenda ne fonctionne plus."), "success")
    return redirect(url_for("animations.my_animations"))


@bp.post("/comptoir/commandes/<int:order_id>/animations")
@role_required(Role.VENUE, Role.ADMIN)
def desk_check_in(order_id: int):  # type: ignore[no-untyped-def]
    form = CheckInForm()
    if not form.validate_on_submit():
        abort(400)
    done = registrations.check_in(order_id, form.registration_ids.data or [], actor_id=current_user.id)
    flash(ngettext("Présence enregistrée pour %(num)d inscription.", "Présence enregistrée pour %(num)d inscriptions.",
                   len(done)), "success")
    return redirect(url_for("venue_animations.desk_order", order_id=order_id))
