"""The legal pages: public (`/cgv`, `/mentions-legales`, `/confidentialite`, linked from every page's
footer and from the checkout's terms checkbox) and their editing by the association
(`/association/reglages/informations-legales`, admins only)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from shopapp.accounts.access import public, role_required
from shopapp.accounts.models import Role
from shopapp.association import legal
from shopapp.association.forms import LegalTextsForm
from shopapp.core.forms import report_errors
from shopapp.errors import DomainError

bp = Blueprint("legal", __name__)


def _public_page(key: str):  # type: ignore[no-untyped-def]
    text = legal.page(key)
    return render_template("association/legal_page.html", page=text, body=legal.render(text.body))


@bp.get("/cgv")
@public
def cgv():  # type: ignore[no-untyped-def]
    return _public_page("cgv")


@bp.get("/mentions-legales")
@public
def mentions():  # type: ignore[no-untyped-def]
    return _public_page("mentions")


@bp.get("/confidentialite")
@public
def privacy():  # type: ignore[no-untyped-def]
    return _public_page("privacy")


@bp.route("/association/reglages/informations-legales", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit():  # type: ignore[no-untyped-def]
    form = LegalTextsForm()
    if not form.is_submitted():
        form = LegalTextsForm(formdata=None, data={key: legal.page(key).body for key in legal.KEYS})
    elif form.validate():
        try:
            changed = legal.save({key: form[key].data or "" for key in legal.KEYS}, actor_id=current_user.id)
        except DomainError as error:
            report_errors(form, error)
        else:
            flash(_("Les informations légales sont enregistrées.") if changed
                  else _("Rien n'a changé dans les informations légales."), "success")
            return redirect(url_for("legal.edit"))
    status = 422 if form.is_submitted() else 200
    return render_template("association/legal_settings.html", form=form,
                           pages={key: legal.page(key) for key in legal.KEYS}), status
