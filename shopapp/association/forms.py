"""Association forms (Flask-WTF: CSRF on every form), with French messages."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
    TimeField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)

from shopapp.association.models import NominationStatus
from shopapp.association.settings import WEEKDAYS
from shopapp.association.siret import is_valid_siret
from shopapp.core.forms import EurosField, PercentField, parse_decimal
from shopapp.orders.states import NO_SHOW_POLICY_LABELS, NoShowPolicy

REQUIRED = _l("Ce champ est obligatoire.")


def _siret(form: FlaskForm, field: StringField) -> None:
    if field.data and not is_valid_siret(field.data):
        raise ValidationError(_l("Le numéro SIRET doit compter 14 chiffres avec une clé de contrôle juste."))


class ApplicationForm(FlaskForm):
    shop_name = StringField(_l("Nom de la boutique"), validators=[DataRequired(REQUIRED), Length(max=120)],
                            render_kw={"autocomplete": "organization"})
    trade = StringField(_l("Métier"), validators=[DataRequired(REQUIRED), Length(max=60)],
                        description=_l("Par exemple : fromagerie, librairie, fleuriste."))
    address = TextAreaField(_l("Adresse de la boutique"), validators=[DataRequired(REQUIRED), Length(max=255)],
                            render_kw={"autocomplete": "street-address", "rows": 2})
    siret = StringField(_l("Numéro SIRET"), validators=[DataRequired(REQUIRED), _siret],
                        description=_l("14 chiffres, sur votre extrait Kbis ou avis de situation INSEE."),
                        render_kw={"inputmode": "numeric"})
    sells = TextAreaField(_l("Ce que vous vendez"), validators=[DataRequired(REQUIRED), Length(max=2000)],
                          render_kw={"rows": 4})
    contact_name = StringField(_l("Nom de la personne à contacter"),
                               validators=[DataRequired(REQUIRED), Length(max=120)], render_kw={"autocomplete": "name"})
    email = EmailField(_l("Adresse e-mail"), validators=[DataRequired(REQUIRED), Email(_l("Adresse e-mail invalide."))],
                       render_kw={"autocomplete": "email"})
    phone = TelField(_l("Téléphone"), validators=[DataRequired(REQUIRED), Length(max=40)],
                     render_kw={"autocomplete": "tel"})


class NoteForm(FlaskForm):
    """Approve (optional note), suspend or reinstate."""

    reason = TextAreaField(_l("Note (facultative)"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})


class MessageForm(FlaskForm):
    reason = TextAreaField(_l("Message au commerce"), validators=[DataRequired(REQUIRED), Length(max=2000)],
                           render_kw={"rows": 3})


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Motif"), validators=[DataRequired(REQUIRED), Length(max=2000)], render_kw={"rows": 2})


class InviteForm(FlaskForm):
    name = StringField(_l("Nom"), validators=[DataRequired(REQUIRED), Length(max=120)])
    email = EmailField(_l("Adresse e-mail"), validators=[DataRequired(REQUIRED), Email(_l("Adresse e-mail invalide."))])


class InvitationPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Choisissez un mot de passe"),
        validators=[DataRequired(REQUIRED), Length(min=8, message=_l("Au moins 8 caractères."))],
        render_kw={"autocomplete": "new-password"}, description=_l("Au moins 8 caractères."),
    )
    confirm = PasswordField(
        _l("Confirmez le mot de passe"),
        validators=[DataRequired(REQUIRED), EqualTo("password", _l("Les deux mots de passe ne correspondent pas."))],
        render_kw={"autocomplete": "new-password"},
    )


class NominationForm(FlaskForm):
    name = StringField(_l("Nom de la boutique"), validators=[DataRequired(REQUIRED), Length(max=120)])
    trade = StringField(_l("Métier"), validators=[DataRequired(REQUIRED), Length(max=60)])
    reason = TextAreaField(_l("Pourquoi aimeriez-vous la voir ici ?"), validators=[Optional(), Length(max=1000)],
                           render_kw={"rows": 3})


NOMINATION_LABELS = {NominationStatus.OPEN: _l("À contacter"), NominationStatus.CONTACTED: _l("Contactée"),
                     NominationStatus.JOINED: _l("A rejoint la plateforme")}


class NominationStatusForm(FlaskForm):
    status = SelectField(_l("Statut"), choices=[SelectChoice(str(k), v) for k, v in NOMINATION_LABELS.items()])


class VenueIdentityForm(FlaskForm):
    name = StringField(_l("Nom du lieu"), validators=[DataRequired(REQUIRED), Length(max=120)])
    town = StringField(_l("Ville"), validators=[DataRequired(REQUIRED), Length(max=120)])
    address = StringField(_l("Adresse"), validators=[DataRequired(REQUIRED), Length(max=255)])
    latitude = DecimalField(
        _l("Latitude"), places=None, description=_l("Pour le lien vers la carte, par exemple 47.9025."),
        validators=[Optional(), NumberRange(min=-90, max=90, message=_l("Entre -90 et 90."))])
    longitude = DecimalField(
        _l("Longitude"), places=None,
        validators=[Optional(), NumberRange(min=-180, max=180, message=_l("Entre -180 et 180."))])
    description = TextAreaField(_l("Comment se passe le retrait"), validators=[Length(max=2000)],
                                description=_l("Montré aux habitants : où entrer, à qui s'adresser, "
                                               "ce qu'on y trouve."))


class MembershipFeeForm(FlaskForm):
    fee = EurosField(_l("Cotisation annuelle des membres (€)"),
                     validators=[InputRequired(REQUIRED)],
                     description=_l("0 : l'adhésion est gratuite. Sinon, les membres la règlent au comptoir, "
                                    "une fois par année civile."),
                     render_kw={"inputmode": "decimal"})


class OrderingRulesForm(FlaskForm):
    require_confirmed_email = BooleanField(
        _l("Adresse e-mail confirmée exigée avant de commander"),
        description=_l("Sinon, un habitant commande dès son inscription et confirme son adresse quand il veut."))


MINUTES_PER_UNIT = {"hours": 60, "days": 1440}
MAX_HOLDING_MINUTES = 20160  # 14 days


def holding_in_words(minutes: int) -> tuple[str, str]:
    """The holding time as the settings form shows it: whole days when it is some, else hours
    (`1,5` hours for 90 minutes)."""
    if minutes and minutes % MINUTES_PER_UNIT["days"] == 0:
        return str(minutes // MINUTES_PER_UNIT["days"]), "days"
    hours = Decimal(minutes) / MINUTES_PER_UNIT["hours"]
    return str(format_decimal(hours, format="0.##")), "hours"


LEGAL_HINT = _l("Texte simple : une ligne vide sépare les paragraphes, une ligne qui commence par « ## » est un "
               "titre. Laissé vide, le texte par défaut revient.")


class LegalTextsForm(FlaskForm):
    cgv = TextAreaField(_l("Conditions générales de vente"), description=LEGAL_HINT,
                        validators=[Length(max=30000, message=_l("30 000 caractères au plus."))],
                        render_kw={"rows": 16})
    mentions = TextAreaField(_l("Mentions légales"), description=LEGAL_HINT,
                             validators=[Length(max=30000, message=_l("30 000 caractères au plus."))],
                             render_kw={"rows": 10})
    privacy = TextAreaField(_l("Confidentialité et cookies"), description=LEGAL_HINT,
                            validators=[Length(max=30000, message=_l("30 000 caractères au plus."))],
                            render_kw={"rows": 16})


class VenueSettingsForm(FlaskForm):
    slot_capacity = IntegerField(_l("Commandes par créneau"),
                                 validators=[InputRequired(REQUIRED), NumberRange(min=1, max=1000)])
    slot_minutes = IntegerField(_l("Durée d'un créneau (minutes)"),
                                validators=[InputRequired(REQUIRED), NumberRange(min=5, max=240)])
    holding_amount = StringField(_l("Durée de garde des commandes"),
                                 validators=[InputRequired(REQUIRED)],
                                 description=_l("Combien de temps une commande non retirée reste à la halle, "
                                                "en heures ou en jours (14 jours au plus). Exemple : 2 jours."),
                                 render_kw={"inputmode": "decimal"})
    holding_unit = SelectField(_l("Unité de la durée de garde"), default="days",
                               choices=[SelectChoice("hours", _l("heures")), SelectChoice("days", _l("jours"))])
    booking_cutoff_minutes = IntegerField(_l("Délai de réservation (minutes)"),
                                          validators=[InputRequired(REQUIRED), NumberRange(min=0, max=10080)],
                                          description=_l("Un créneau ne se réserve plus ce délai avant son début."))

    @classmethod
    def for_venue(cls, venue: object) -> VenueSettingsForm:
        """The form filled with a venue's settings, its holding time in days or hours."""
        amount, unit = holding_in_words(getattr(venue, "holding_minutes", 0) or 0)
        form = cls(obj=venue, formdata=None)
        form.holding_amount.data, form.holding_unit.data = amount, unit
        return form

    def validate_holding_amount(self, field: StringField) -> None:
        value = parse_decimal(field.data or "")
        if value is None:
            raise ValidationError(_l("Indiquez un nombre d'heures ou de jours, par exemple 2 ou 1,5."))
        minutes = value * MINUTES_PER_UNIT.get(self.holding_unit.data or "", 60)
        if minutes > MAX_HOLDING_MINUTES:
            raise ValidationError(_l("14 jours (336 heures) au plus."))

    @property
    def holding_minutes(self) -> int:
        """The holding time in minutes, rounded to the minute (valid form only)."""
        value = parse_decimal(self.holding_amount.data or "") or Decimal(0)
        minutes = value * MINUTES_PER_UNIT.get(self.holding_unit.data or "", 60)
        return int(minutes.to_integral_value(rounding=ROUND_HALF_UP))


class HoursRowForm(Form):
    weekday = SelectField(_l("Jour"), coerce=int,
                          choices=[SelectChoice("0", "—")] + [SelectChoice(str(k), v) for k, v in WEEKDAYS.items()])
    opens = TimeField(_l("Ouverture"), validators=[Optional()])
    closes = TimeField(_l("Fermeture"), validators=[Optional()])


class HoursForm(FlaskForm):
    hours = FieldList(FormField(HoursRowForm), min_entries=0)


class ClosedDayForm(FlaskForm):
    day = DateField(_l("Jour de fermeture"), validators=[InputRequired(REQUIRED)])
    reason = StringField(_l("Motif (facultatif)"), validators=[Optional(), Length(max=120)],
                         description=_l("Par exemple : inventaire, fête du quartier."))


class CommissionForm(FlaskForm):
    rate_percent = PercentField(_l("Commission par défaut (%)"), validators=[InputRequired(REQUIRED)],
                                description=_l("En pour cent, par exemple 8,5 (virgule ou point)."),
                                render_kw={"inputmode": "decimal"})


MAX_NO_SHOW_FEE_CENTS = 100_000  # 1 000 €


class FrenchRadioField(RadioField):
    """A radio group whose missing or unknown answer is told in French (WTForms says it in English)."""

    def pre_validate(self, form: Form) -> None:
        if self.data not in {choice[0] for choice in self.iter_choices()}:
            raise StopValidation(str(_l("Choisissez ce qui est fait de l'argent.")))


class NoShowPolicyForm(FlaskForm):
    """What happens to the money of a card-paid order nobody collected; `fee_cents` is the fee in cents."""

    policy = FrenchRadioField(_l("Commandes payées en ligne et non retirées"),
                              choices=[SelectChoice(p.value, label) for p, label in NO_SHOW_POLICY_LABELS.items()])
    fee = StringField(_l("Frais retenus, en euros"),
                      description=_l("Un montant fixe par commande, par exemple 2,50. Jamais plus que ce qui a "
                                     "été payé : une commande plus petite n'est pas remboursée du tout."),
                      render_kw={"inputmode": "decimal"})

    fee_cents = 0

    def validate_fee(self, field: StringField) -> None:
        text = (field.data or "").replace("€", "").strip()
        if self.policy.data != NoShowPolicy.FEE:
            self.fee_cents = 0
            return
        if not text:
            raise ValidationError(_l("Indiquez le montant des frais."))
        value = parse_decimal(text)
        if value is None:
            raise ValidationError(_l("Indiquez un montant en euros, par exemple 2,50."))
        cents = value * 100
        if cents != cents.to_integral_value():
            raise ValidationError(_l("Deux décimales au plus, par exemple 2,50."))
        if not 0 < cents <= MAX_NO_SHOW_FEE_CENTS:
            raise ValidationError(_l("Entre 0,01 et 1 000 €."))
        self.fee_cents = int(cents)


class ShopCommissionForm(FlaskForm):
    rate_percent = PercentField(_l("Commission de cette boutique (%)"), validators=[Optional()],
                                description=_l("En pour cent, par exemple 8,5. Laissez vide pour appliquer le "
                                               "taux par défaut."),
                                render_kw={"inputmode": "decimal"})


ROLE_CHOICES = [SelectChoice("venue", _l("Équipe du lieu (comptoir, animations)")),
                SelectChoice("admin", _l("Administration de l’association"))]


class PersonInviteForm(FlaskForm):
    """Invite venue staff or an admin."""

    name = StringField(_l("Nom"), validators=[DataRequired(REQUIRED), Length(max=120)],
                       render_kw={"autocomplete": "name"})
    email = EmailField(_l("Adresse e-mail"), validators=[DataRequired(REQUIRED), Email(_l("Adresse e-mail invalide."))],
                       render_kw={"autocomplete": "email"})
    role = SelectField(_l("Rôle"), choices=ROLE_CHOICES, validate_choice=True,
                       validators=[DataRequired(_l("Choisissez un rôle."))])


class RoleRemovalForm(FlaskForm):
    role = SelectField(_l("Rôle"), choices=ROLE_CHOICES, validators=[DataRequired(_l("Choisissez un rôle."))])
