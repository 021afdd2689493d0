"""Animation forms (Flask-WTF: CSRF on every form), French labels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice, SelectMultipleField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from shopapp.core.forms import row_ids

REQUIRED = _l("Ce champ est obligatoire.")

KIND_LABELS = {
    "tasting": _l("Dégustation"),
    "product_discovery": _l("Découverte de produits"),
    "cooking_workshop": _l("Atelier cuisine"),
    "fashion_show": _l("Défilé"),
    "short_supply_talk": _l("Conférence circuits courts"),
    "repair_cafe": _l("Repair café"),
    "other": _l("Autre"),
}
STATUS_LABELS = {
    "proposed": _l("Proposée par une boutique"),
    "draft": _l("Brouillon"),
    "published": _l("Publiée"),
    "cancelled": _l("Annulée"),
}
REGISTRATION_LABELS = {
    "registered": _l("Inscrit"),
    "waitlisted": _l("Liste d'attente"),
    "cancelled": _l("Désinscrit"),
}


class RegisterForm(FlaskForm):
    seats = SelectField(_l("Nombre de places"), coerce=int, default=1,
                        choices=[SelectChoice(n, str(n)) for n in range(1, 7)])


class AnimationForm(FlaskForm):
    title = StringField(_l("Titre"), validators=[DataRequired(REQUIRED), Length(max=160)])
    kind = SelectField(_l("Type"), choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()])
    description = TextAreaField(_l("Description"))
    starts_at = DateTimeLocalField(_l("Début (heure locale)"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired(REQUIRED)])
    ends_at = DateTimeLocalField(_l("Fin (heure locale)"), format="%Y-%m-%dT%H:%M",
                                 validators=[InputRequired(REQUIRED)])
    capacity = IntegerField(_l("Nombre de places"), default=20,
                            validators=[InputRequired(REQUIRED), NumberRange(0, 500, _l("Entre 0 et 500."))])
    audience = SelectField(_l("Public"), choices=[SelectChoice("everyone", _l("Tout le monde")),
                                                  SelectChoice("members", _l("Membres du tiers-lieu"))])
    product_ids = SelectMultipleField(_l("Produits mis en avant"), coerce=int, validate_choice=False,
                                      validators=[row_ids])
    # Checked by content (catalog.images), not by name or declared type: `accept` only helps the picker.
    image = FileField(_l("Image (JPEG, PNG ou WebP)"),
                      description=_l("Facultative. Elle illustre l'animation dans l'agenda."),
                      render_kw={"accept": "image/jpeg,image/png,image/webp"})
    remove_image = BooleanField(_l("Retirer l'image actuelle"))


class CheckInForm(FlaskForm):
    registration_ids = SelectMultipleField(_l("Présents"), coerce=int, validate_choice=False, validators=[row_ids])


class WalkInForm(FlaskForm):
    seats = IntegerField(_l("Nombre de personnes"), default=1,
                         validators=[InputRequired(REQUIRED), NumberRange(1, 50, _l("Entre 1 et 50."))])
    name = StringField(_l("Nom (facultatif)"), validators=[Length(max=120, message=_l("120 caractères au plus."))])


class MembershipForm(FlaskForm):
    consent = BooleanField(validators=[DataRequired(_l("Votre accord est nécessaire pour adhérer."))])


class DeleteAccountForm(FlaskForm):
    password = StringField(_l("Mot de passe"), validators=[DataRequired(REQUIRED)],
                           render_kw={"type": "password", "autocomplete": "current-password"})
    confirm = BooleanField(_l("Je comprends que mon compte sera supprimé définitivement"),
                           validators=[DataRequired(_l("Cochez la case pour confirmer."))])
