"""The form that makes a standing order from a past order or the basket."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from shopapp.core.forms import row_ids


class StandingOrderForm(FlaskForm):
    every_weeks = RadioField(
        _l("Fréquence"), coerce=int, default=1,
        choices=[SelectChoice(1, _l("Chaque semaine")), SelectChoice(2, _l("Toutes les deux semaines"))],
        validators=[InputRequired(_l("Choisissez une fréquence."))],
    )
    slot_id = SelectField(
        _l("Premier retrait"), coerce=int, validate_choice=False,
        description=_l("Le jour de la semaine et l'heure de ce créneau seront ceux de chaque retrait."),
        validators=[InputRequired(_l("Choisissez un créneau de retrait.")), row_ids],
    )
    payment_method = RadioField(
        _l("Paiement"), default="at_pickup",
        choices=[SelectChoice("at_pickup", _l("Au retrait, à la Halle (carte ou espèces)"))],
        validators=[InputRequired(_l("Choisissez un mode de paiement."))],
    )
    order_id = HiddenField()


CARD_CHOICE = SelectChoice("card", _l("Carte bancaire enregistrée, prélevée avant chaque retrait"))
