"""Account forms (Flask-WTF: CSRF on every form), with French messages."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField, ValidationError
from wtforms.validators import AnyOf, DataRequired, Email, EqualTo, Length

from shopapp.accounts.phones import InvalidPhone, normalise_phone

REQUIRED = _l("Ce champ est obligatoire.")
MALFORMED_PHONE = _l("Numéro de mobile invalide : écrivez-le comme 06 12 34 56 78 ou +33 6 12 34 56 78.")
LANDLINE_PHONE = _l("Indiquez un numéro de mobile (06 ou 07) : un fixe ne reçoit pas les SMS.")


class LoginForm(FlaskForm):
    email = EmailField(_l("Adresse e-mail"), validators=[DataRequired(REQUIRED), Email(_l("Adresse e-mail invalide."))],
                       render_kw={"autocomplete": "email"})
    password = PasswordField(_l("Mot de passe"), validators=[DataRequired(REQUIRED)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class SignupForm(FlaskForm):
    name = StringField(_l("Votre nom"), validators=[DataRequired(REQUIRED), Length(max=120)],
                       render_kw={"autocomplete": "name"})
    email = EmailField(_l("Adresse e-mail"), validators=[DataRequired(REQUIRED), Email(_l("Adresse e-mail invalide."))],
                       render_kw={"autocomplete": "email"})
    password = PasswordField(
        _l("Mot de passe"),
        validators=[DataRequired(REQUIRED), Length(min=8, message=_l("Au moins 8 caractères."))],
        render_kw={"autocomplete": "new-password"},
        description=_l("Au moins 8 caractères."),
    )
    confirm = PasswordField(
        _l("Confirmez le mot de passe"),
        validators=[DataRequired(REQUIRED), EqualTo("password", _l("Les deux mots de passe ne correspondent pas."))],
        render_kw={"autocomplete": "new-password"},
    )
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Adresse e-mail"), validators=[DataRequired(REQUIRED), Email(_l("Adresse e-mail invalide."))],
                       render_kw={"autocomplete": "email"})


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Nouveau mot de passe"),
        validators=[DataRequired(REQUIRED), Length(min=8, message=_l("Au moins 8 caractères."))],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Confirmez le mot de passe"),
        validators=[DataRequired(REQUIRED), EqualTo("password", _l("Les deux mots de passe ne correspondent pas."))],
        render_kw={"autocomplete": "new-password"},
    )


class LanguageForm(FlaskForm):
    # Rendered by hand in the footer as a <select>; validated here.
    lang = StringField(_l("Langue"), validators=[AnyOf(["fr", "en"])])


class TokenForm(FlaskForm):
    label = StringField(_l("Nom du jeton"), validators=[DataRequired(REQUIRED), Length(max=80)])


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for POST buttons (log-out, revoke…)."""


class NoticeSettingsForm(FlaskForm):
    """The account page's notice settings: mobile number and SMS opt-in (the optional notice kinds are
    plain checkboxes, read from the request by name)."""

    phone = StringField(
        _l("Numéro de mobile"),
        validators=[Length(max=30, message=_l("Numéro de mobile invalide."))],
        description=_l("Par exemple 06 12 34 56 78. Utilisé seulement pour les SMS de retrait."),
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    sms_opt_in = BooleanField(_l("Recevoir aussi par SMS l'avis « commande prête », les rappels et les imprévus"))

    def validate_phone(self, field: Any) -> None:
        raw = (field.data or "").strip()
        if not raw:
            if self.sms_opt_in.data:
                raise ValidationError(_l("Indiquez votre numéro de mobile pour recevoir les SMS."))
            field.data = None
            return
        try:
            field.data = normalise_phone(raw)
        except InvalidPhone as exc:
            raise ValidationError(LANDLINE_PHONE if exc.landline else MALFORMED_PHONE) from exc


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Mot de passe actuel"), validators=[DataRequired(REQUIRED)],
                                     render_kw={"autocomplete": "current-password"})
    password = PasswordField(
        _l("Nouveau mot de passe"),
        validators=[DataRequired(REQUIRED), Length(min=8, message=_l("Au moins 8 caractères."))],
        render_kw={"autocomplete": "new-password"},
        description=_l("Au moins 8 caractères."),
    )
    confirm = PasswordField(
        _l("Confirmez le nouveau mot de passe"),
        validators=[DataRequired(REQUIRED), EqualTo("password", _l("Les deux mots de passe ne correspondent pas."))],
        render_kw={"autocomplete": "new-password"},
    )


class ChangeEmailForm(FlaskForm):
    email = EmailField(_l("Nouvelle adresse e-mail"),
                       validators=[DataRequired(REQUIRED), Email(_l("Adresse e-mail invalide.")), Length(max=254)],
                       render_kw={"autocomplete": "email"})
    current_password = PasswordField(_l("Mot de passe actuel"), validators=[DataRequired(REQUIRED)],
                                     render_kw={"autocomplete": "current-password"})
