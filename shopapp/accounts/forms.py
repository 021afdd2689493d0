"""Account forms (Flask-WTF: CSRF on every form), with French messages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import AnyOf, DataRequired, Email, EqualTo, Length

REQUIRED = _l("Ce champ est obligatoire.")


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
