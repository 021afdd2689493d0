"""The account page's notice settings: mobile number and SMS opt-in (the optional kinds are plain checkboxes)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, ValidationError
from wtforms.validators import Length

from shopapp.accounts.phones import InvalidPhone, normalise_phone

MALFORMED = _l("Numéro de mobile invalide : écrivez-le comme 06 12 34 56 78 ou +33 6 12 34 56 78.")
LANDLINE = _l("Indiquez un numéro de mobile (06 ou 07) : un fixe ne reçoit pas les SMS.")


class NoticeSettingsForm(FlaskForm):
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
            raise ValidationError(LANDLINE if exc.landline else MALFORMED) from exc
