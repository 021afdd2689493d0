"""Order forms (Flask-WTF: CSRF on every form), French messages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

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


class CancelOrderForm(FlaskForm):
    confirm = BooleanField(_l("Je confirme l'annulation de toute la commande"),
                           validators=[DataRequired(_l("Cochez la case pour confirmer l'annulation."))])


REFUSAL_REASONS = (
    ("rupture", _l("Rupture de stock")),
    ("abime", _l("Produit abîmé")),
    ("autre", _l("Autre raison")),
)


class RefuseLineForm(FlaskForm):
    reason = RadioField(_l("Raison du refus"), choices=[SelectChoice(value, label) for value, label in REFUSAL_REASONS],
                        validators=[InputRequired(_l("Choisissez la raison du refus."))])
    other = StringField(_l("Précisez la raison (si « Autre raison »)"),
                        validators=[Length(max=160, message=_l("160 caractères au plus."))])
    confirm = BooleanField(_l("Je confirme : cet article ne sera pas fourni au client"),
                           validators=[DataRequired(_l("Cochez la case pour confirmer le refus."))])

    def validate_other(self, field: StringField) -> None:
        if self.reason.data == "autre" and not (field.data or "").strip():
            raise ValidationError(_l("Précisez la raison du refus."))

    def reason_text(self) -> str:
        """The reason as the resident will read it."""
        if self.reason.data == "autre":
            return (self.other.data or "").strip()
        return str(dict(REFUSAL_REASONS)[self.reason.data])


class RefusePartForm(FlaskForm):
    confirm = BooleanField(_l("Je confirme : aucun article de cette commande ne sera fourni au client"),
                           validators=[DataRequired(_l("Cochez la case pour confirmer le refus."))])


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
