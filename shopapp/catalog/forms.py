"""Back-office forms (Flask-WTF, CSRF on every form), with French messages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from shopapp.catalog import shop_details
from shopapp.catalog.importer import parse_cents
from shopapp.catalog.models import UNITS, VAT_RATES_BP

REQUIRED = _l("Ce champ est obligatoire.")
VAT_LABELS = {550: "5,5 %", 1000: "10 %", 2000: "20 %"}


def _price(form: FlaskForm, field: StringField) -> None:
    try:
        field.cents = parse_cents(field.data or "")  # type: ignore[attr-defined]
    except ValueError:
        raise ValidationError(str(_l("Prix invalide (exemple : 4,50).")))


class ProductForm(FlaskForm):
    sku = StringField(_l("Référence (SKU)"), validators=[DataRequired(REQUIRED), Length(max=64)],
                      description=_l("Unique dans votre boutique, par exemple PAIN-001."))
    name = StringField(_l("Nom du produit"), validators=[DataRequired(REQUIRED), Length(max=160)])
    price = StringField(_l("Prix TTC en euros"), validators=[DataRequired(REQUIRED), _price],
                        description=_l("Par exemple 4,50."), render_kw={"inputmode": "decimal"})
    unit = SelectField(_l("Unité de vente"), choices=list(UNITS))
    net_quantity = IntegerField(
        _l("Quantité nette"), validators=[Optional(), NumberRange(min=1, max=1000000,
                                                                  message=_l("Entre 1 et 1 000 000."))],
        description=_l("Pour une bouteille, un pot, une pièce : 750 (ml), 250 (g)… Donne le prix au kilo ou au litre."),
        render_kw={"inputmode": "numeric"})
    net_unit = SelectField(_l("Unité de la quantité nette"), default="", validate_choice=False,
                           choices=[SelectChoice("", "—"), SelectChoice("g", "g"), SelectChoice("ml", "ml")])
    category = SelectField(_l("Catégorie"), choices=[], validate_choice=True)
    vat_rate_bp = SelectField(_l("TVA"), coerce=int,
                              choices=[SelectChoice(str(rate), VAT_LABELS[rate]) for rate in VAT_RATES_BP])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    labels = StringField(_l("Labels"), validators=[Optional(), Length(max=400)],
                         description=_l("Séparés par des virgules : bio, local, AOP, fait maison…"))
    allergens = StringField(_l("Allergènes"), validators=[Optional(), Length(max=400)],
                            description=_l("Séparés par des virgules : gluten, lait, œufs…"))
    low_stock_threshold = IntegerField(_l("Seuil de stock bas"), default=3,
                                       validators=[InputRequired(REQUIRED), NumberRange(min=0, max=100000)],
                                       render_kw={"inputmode": "numeric"})
    stock = IntegerField(_l("Stock initial"), default=0, validators=[Optional(), NumberRange(min=0, max=1000000)],
                         render_kw={"inputmode": "numeric"})
    is_active = BooleanField(_l("En vente"), default=True)
    is_perishable = BooleanField(
        _l("Produit périssable (pain, fromage, viande, fleurs…)"), default=False,
        description=_l("Si une commande payée en ligne n'est pas retirée, l'association peut vous payer les "
                       "produits périssables ; les autres sont remboursés au client."))

    def validate_net_unit(self, field: SelectField) -> None:
        if field.data not in (None, "", "g", "ml"):
            raise ValidationError(str(_l("Choisissez g ou ml pour la quantité nette.")))
        if self.net_quantity.data and not field.data:
            raise ValidationError(str(_l("Choisissez g ou ml pour la quantité nette.")))
        if field.data and not self.net_quantity.data:
            raise ValidationError(str(_l("Indiquez la quantité nette, ou aucune unité.")))


class StockForm(FlaskForm):
    delta = IntegerField(_l("Variation (+ entrée, − sortie)"), validators=[InputRequired(REQUIRED),
                                                                           NumberRange(min=-1000000, max=1000000)],
                         render_kw={"inputmode": "numeric"})
    reason = StringField(_l("Motif"), validators=[DataRequired(REQUIRED), Length(max=120)],
                         description=_l("Par exemple : livraison, casse, inventaire."))


class ImageForm(FlaskForm):
    image = FileField(_l("Photo (JPEG, PNG ou WebP)"), validators=[FileRequired(REQUIRED)],
                      render_kw={"accept": "image/jpeg,image/png,image/webp"})


class LogoForm(FlaskForm):
    logo = FileField(_l("Logo (JPEG, PNG ou WebP)"), validators=[FileRequired(REQUIRED)],
                     description=_l("Affiché sur la page de la boutique et sur l'accueil. 5 Mo au plus."),
                     render_kw={"accept": "image/jpeg,image/png,image/webp"})


class BannerForm(FlaskForm):
    banner = FileField(_l("Bannière (JPEG, PNG ou WebP)"), validators=[FileRequired(REQUIRED)],
                       description=_l("Grande image en haut de la page de la boutique, au format paysage (2 × 1, "
                                      "1200 × 600 pixels ou plus). 5 Mo au plus."),
                       render_kw={"accept": "image/jpeg,image/png,image/webp"})


class ImportForm(FlaskForm):
    file = FileField(_l("Fichier CSV"), validators=[FileRequired(REQUIRED)],
                     render_kw={"accept": ".csv,text/csv"})


class ShopTokenForm(FlaskForm):
    label = StringField(_l("Nom du jeton"), validators=[DataRequired(REQUIRED), Length(max=80)],
                        description=_l("Par exemple : caisse du comptoir."))


WEEKDAY_LABELS = (_l("Lundi"), _l("Mardi"), _l("Mercredi"), _l("Jeudi"), _l("Vendredi"), _l("Samedi"), _l("Dimanche"))


class ShopDetailsForm(FlaskForm):
    """A shop's own details, once approved."""

    preparation_minutes = IntegerField(
        _l("Temps de préparation (minutes)"),
        validators=[InputRequired(_l("Indiquez un nombre de minutes.")),
                    NumberRange(shop_details.PREPARATION_MINUTES_MIN, shop_details.PREPARATION_MINUTES_MAX,
                                _l("Entre %(min)s et %(max)s minutes."))],
        description=_l("Le temps qu'il vous faut pour préparer une commande : "
                       "aucun créneau plus proche n'est proposé."),
        render_kw={"inputmode": "numeric"})
    opening_days = SelectMultipleField(
        _l("Jours où la boutique prépare les commandes"), coerce=int,
        choices=[SelectChoice(str(day), label) for day, label in enumerate(WEEKDAY_LABELS, start=1)],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        validators=[DataRequired(_l("Cochez au moins un jour où la boutique prépare les commandes."))],
        description=_l("Les autres jours, aucun créneau de retrait n'est proposé pour un panier avec vos produits."))
    description = TextAreaField(_l("Description"), validators=[Length(max=shop_details.DESCRIPTION_MAX)],
                                render_kw={"rows": 4})
    address = TextAreaField(_l("Adresse de la boutique"),
                            validators=[DataRequired(REQUIRED), Length(max=shop_details.ADDRESS_MAX)],
                            render_kw={"autocomplete": "street-address", "rows": 2})


class FavouriteForm(FlaskForm):
    """The heart button: keep or forget a product or a shop, then back to the page it was pressed on."""

    action = HiddenField(validators=[AnyOf(("add", "remove"))])
    next = HiddenField()
