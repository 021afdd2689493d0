"""Order forms (Flask-WTF: CSRF on every form), French messages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from shopapp.core.forms import row_ids

REQUIRED = _l("Ce champ est obligatoire.")


class AddToBasketForm(FlaskForm):
    product_id = IntegerField(validators=[InputRequired(REQUIRED), row_ids])
    quantity = IntegerField(_l("Quantité"), default=1,
                            validators=[InputRequired(REQUIRED), NumberRange(1, 99, _l("Entre 1 et 99."))])
    next = HiddenField()


class QuantityForm(FlaskForm):
    quantity = IntegerField(_l("Quantité"),
                            validators=[InputRequired(REQUIRED), NumberRange(0, 99, _l("Entre 0 et 99."))])


class CheckoutForm(FlaskForm):
    slot_id = RadioField(_l("Créneau de retrait"), coerce=int, validate_choice=False,
                         validators=[InputRequired(_l("Choisissez un créneau de retrait.")), row_ids])
    payment_method = RadioField(
        _l("Paiement"), default="at_pickup",
        choices=[SelectChoice("at_pickup", _l("Au retrait, à la Halle (carte ou espèces)"))],
        validators=[InputRequired(_l("Choisissez un mode de paiement."))],
    )
    accept_terms = BooleanField(_l("J'accepte les conditions générales de vente"),
                                validators=[DataRequired(_l("Vous devez accepter les conditions pour commander."))])
    # Shown and required only when the basket holds alcohol (the checkout service checks it).
    confirm_adult = BooleanField(_l("Je certifie avoir 18 ans ou plus"))
    idempotency_key = HiddenField()


class ChangeSlotForm(FlaskForm):
    slot_id = RadioField(_l("Nouveau créneau de retrait"), coerce=int, validate_choice=False,
                         validators=[InputRequired(_l("Choisissez un créneau de retrait.")), row_ids])


class PartStatusForm(FlaskForm):
    status = HiddenField(validators=[DataRequired()])
    # Refusing a part is asked twice: the refuse button only works with this box ticked.
    confirm_reject = BooleanField(_l("Je confirme le refus : cette partie ne sera pas préparée"))


class CancelOrderForm(FlaskForm):
    confirm = BooleanField(_l("Je confirme l'annulation de toute la commande"),
                           validators=[DataRequired(_l("Cochez la case pour confirmer l'annulation."))])


class CollectForm(FlaskForm):
    paid_via = RadioField(_l("Paiement reçu"), choices=[SelectChoice("card_terminal", _l("Carte (terminal)")),
                                                        SelectChoice("cash", _l("Espèces"))],
                          validators=[Optional()])


class DeskSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search

    q = StringField(_l("Code de retrait, numéro ou nom"), render_kw={"autocomplete": "off", "autofocus": True})


class DropOffForm(FlaskForm):
    label = StringField(_l("Étiquette du sac (scannez ou tapez le code)"),
                        validators=[DataRequired(_l("Scannez ou tapez le code de l'étiquette.")),
                                    Length(max=40, message=_l("Ce code est trop long."))],
                        render_kw={"autocomplete": "off", "autofocus": True, "autocapitalize": "characters",
                                   "spellcheck": "false"})


class ManualDropOffForm(FlaskForm):
    reason = StringField(_l("Raison du dépôt saisi au comptoir"),
                         validators=[DataRequired(_l("Indiquez la raison.")),
                                     Length(max=150, message=_l("150 caractères au plus."))])


class BagLabelForm(FlaskForm):
    class Meta:
        csrf = False  # a GET: the number of bags printed on the label

    bags = IntegerField(_l("Nombre de sacs"), default=1,
                        validators=[Optional(), NumberRange(1, 20, _l("Entre 1 et 20."))])
