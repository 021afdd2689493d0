"""Payments forms (Flask-WTF, CSRF on every form), with French messages."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Length, NumberRange, Optional

REQUIRED = _l("Ce champ est obligatoire.")
VAT_NUMBER = re.compile(r"^[A-Z]{2}[0-9A-Z]{2,13}$")


def _compact(value: str | None) -> str:
    return "".join(ch for ch in (value or "") if ch not in " .-\u00a0\u202f")


def _siret(form: FlaskForm, field: StringField) -> None:
    field.data = _compact(field.data)
    if not (len(field.data) == 14 and field.data.isdigit()):
        raise ValidationError(_l("Le numéro SIRET compte 14 chiffres."))


def _vat_number(form: FlaskForm, field: StringField) -> None:
    field.data = _compact(field.data).upper()
    if not VAT_NUMBER.match(field.data):
        raise ValidationError(_l("Le numéro de TVA intracommunautaire commence par le code du pays, par exemple "
                                 "FR suivi de 11 chiffres."))


class LegalIdentityForm(FlaskForm):
    name = StringField(_l("Raison sociale"), validators=[DataRequired(REQUIRED), Length(max=160)],
                       render_kw={"autocomplete": "organization"})
    address = TextAreaField(_l("Adresse du siège"), validators=[DataRequired(REQUIRED), Length(max=255)],
                            render_kw={"autocomplete": "street-address", "rows": 2})
    siret = StringField(_l("Numéro SIRET"), validators=[DataRequired(REQUIRED), _siret],
                        description=_l("14 chiffres, sur l'extrait Kbis ou l'avis de situation INSEE."),
                        render_kw={"inputmode": "numeric"})
    vat_number = StringField(_l("Numéro de TVA intracommunautaire"), validators=[DataRequired(REQUIRED), _vat_number],
                             description=_l("Par exemple FR44732829320."))


class IssueMonthForm(FlaskForm):
    month = StringField(_l("Mois à facturer (AAAA-MM)"), validators=[DataRequired(REQUIRED), Length(max=7)],
                        render_kw={"placeholder": "AAAA-MM", "inputmode": "numeric"})


class CreditNoteForm(FlaskForm):
    reason = StringField(_l("Motif de l'avoir"), validators=[DataRequired(REQUIRED), Length(max=255)])
    amount_ht_cents = IntegerField(_l("Commission HT à annuler, en centimes (vide : tout le reste)"),
                                   validators=[Optional(), NumberRange(min=1, message=_l("Au moins 1 centime."))])


class ChartForm(FlaskForm):
    """The chart of accounts: its fields are read by key from the request (payments/pages.py)."""
