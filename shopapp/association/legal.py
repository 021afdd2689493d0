"""The legal pages French law asks of an online shop: conditions générales de vente, mentions légales and
the privacy policy (with the cookies statement). The association edits them on its settings page; until
it does, each page shows a default text filled with the venue's identity.

Texts are plain text with two light marks: a blank line separates paragraphs, a line starting with `## `
is a heading. They are escaped when rendered: no HTML from the database reaches a page. Services flush and
never commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select

from shopapp.association.models import LegalText, SettingChange
from shopapp.errors import ValidationFailed
from shopapp.extensions import db
from shopapp.venue.queries import current_venue

KEYS = ("cgv", "mentions", "privacy")
MAX_LENGTH = 30000

TITLES = {"cgv": _l("Conditions générales de vente"), "mentions": _l("Mentions légales"),
          "privacy": _l("Confidentialité et cookies")}


@dataclass(frozen=True)
class LegalPage:
    key: str
    title: str
    body: str
    is_default: bool


def _identity() -> dict[str, str]:
    venue = current_venue()
    return {
        "venue": venue.name if venue is not None else _("le lieu de retrait"),
        "address": venue.address if venue is not None and venue.address else _("adresse à compléter"),
        "town": venue.town if venue is not None and venue.town else _("la ville"),
        "email": str(current_app.config.get("MAIL_FROM") or ""),
        "site": str(current_app.config.get("PUBLIC_URL") or ""),
    }


def default_text(key: str) -> str:
    """The text a page shows while the association has written none, in the visitor's language."""
    values = _identity()
    if key == "cgv":
        return _(
            "## Qui vend\n\n"
            "Chaque produit est vendu par la boutique indépendante qui le propose, sous sa propre responsabilité. "
            "La plateforme, éditée par l'association des commerçants de %(town)s, met en relation les habitants "
            "et les boutiques et organise le retrait à %(venue)s (%(address)s).\n\n"
            "## Prix\n\n"
            "Les prix sont indiqués en euros, toutes taxes comprises (TTC). Les produits vendus au poids ou au "
            "volume indiquent aussi leur prix au kilogramme ou au litre.\n\n"
            "## Commande\n\n"
            "La commande est conclue quand vous la validez après avoir accepté les présentes conditions. Un "
            "e-mail la confirme. Une boutique peut refuser une partie de la commande (produit manquant) : "
            "cette partie n'est alors pas payée, ou elle est remboursée.\n\n"
            "## Paiement\n\n"
            "Vous payez par carte au moment de la commande (paiement sécurisé par Stripe) ou au retrait, "
            "selon ce qui est proposé.\n\n"
            "## Retrait\n\n"
            "Les produits sont retirés à %(venue)s sur le créneau choisi. Une commande non retirée est gardée "
            "pendant le délai indiqué lors de la commande.\n\n"
            "## Droit de rétractation\n\n"
            "Pour les produits qui le permettent, vous disposez de 14 jours après le retrait pour vous "
            "rétracter (Code de la consommation, article L221-18). Ce droit ne s'applique pas aux denrées "
            "périssables ou qui se détériorent rapidement (pain, produits frais, fromages, fleurs…), ni aux "
            "produits confectionnés selon vos indications ou descellés après le retrait pour des raisons "
            "d'hygiène (article L221-28). Vous pouvez annuler une commande tant qu'elle n'est pas prête.\n\n"
            "## Réclamations et médiation\n\n"
            "Écrivez à %(email)s. En cas de litige, vous pouvez recourir gratuitement à un médiateur de la "
            "consommation, ou à la plateforme européenne de règlement en ligne des litiges.", **values)
    if key == "mentions":
        return _(
            "## Éditeur\n\n"
            "Ce site est édité par l'association des commerçants de %(town)s, association régie par la loi du "
            "1er juillet 1901, domiciliée à %(venue)s, %(address)s. Contact : %(email)s. Directeur ou "
            "directrice de la publication : la présidence de l'association.\n\n"
            "## Hébergement\n\n"
            "Le site %(site)s est hébergé par un prestataire dont le nom, l'adresse et le téléphone sont à "
            "compléter ici par l'association.\n\n"
            "## Boutiques\n\n"
            "Chaque boutique est responsable de ses produits et de leurs descriptions ; son nom et son adresse "
            "figurent sur sa page.", **values)
    return _(
        "## Ce que nous gardons\n\n"
        "Votre nom, votre adresse e-mail, votre téléphone si vous le donnez, vos commandes, vos inscriptions "
        "aux animations et vos préférences de notification. Ces données servent à préparer et remettre vos "
        "commandes, et à vous prévenir.\n\n"
        "## Combien de temps\n\n"
        "Votre compte et vos préférences sont gardés tant que vous le gardez. Les commandes sont gardées dix "
        "ans, pour la comptabilité des boutiques ; après la suppression de votre compte, elles ne portent "
        "plus votre nom.\n\n"
        "## Qui les voit\n\n"
        "Chaque boutique voit les commandes qui la concernent ; l'équipe de %(venue)s voit ce qu'il faut "
        "pour le retrait ; le paiement par carte passe par Stripe. Rien n'est vendu ni cédé.\n\n"
        "## Vos droits\n\n"
        "Vous pouvez consulter, corriger, exporter et effacer vos données (RGPD) : depuis « Mon compte », "
        "téléchargez toutes vos données en un fichier, ou supprimez votre compte. Pour toute question, "
        "écrivez à %(email)s ; vous pouvez aussi saisir la CNIL.\n\n"
        "## Cookies\n\n"
        "Ce site n'utilise que les cookies nécessaires à son fonctionnement : la session (rester connecté, "
        "garder votre panier), la protection des formulaires et la langue choisie. Aucun cookie de mesure "
        "d'audience ni de publicité : aucun consentement n'est donc demandé.", **values)


def page(key: str) -> LegalPage:
    """The page's text: the association's when it wrote one, else the default."""
    row = db.session.get(LegalText, key)
    if row is not None and row.body.strip():
        return LegalPage(key, str(TITLES[key]), row.body, is_default=False)
    return LegalPage(key, str(TITLES[key]), default_text(key), is_default=True)


def save(texts: dict[str, str], *, actor_id: int) -> list[str]:
    """Store the texts the association wrote; an empty text brings back the default. Each change is
    audited. Returns the keys that changed. Flushes.

    :raise ValidationFailed: an unknown key or a text too long.
    """
    errors = {key: str(_l("Texte inconnu.")) for key in texts if key not in KEYS}
    errors |= {key: str(_l("30 000 caractères au plus.")) for key, body in texts.items()
               if len(body) > MAX_LENGTH}
    if errors:
        raise ValidationFailed(str(_l("Certains textes sont à revoir.")), fields=errors)
    rows = {row.key: row for row in db.session.scalars(select(LegalText).where(LegalText.key.in_(texts)))}
    changed = []
    for key, body in texts.items():
        body = body.replace("\r\n", "\n").strip()
        if body == default_text(key):
            body = ""  # kept as the default, so it follows the venue's name and address
        row = rows.get(key)
        old = row.body if row is not None else ""
        if old == body:
            continue
        if row is None:
            row = LegalText(key=key)
            db.session.add(row)
        row.body, row.updated_by_id = body, actor_id
        db.session.add(SettingChange(key=f"legal.{key}", old_value=old, new_value=body, actor_id=actor_id))
        changed.append(key)
    db.session.flush()
    return changed


def render(text: str) -> Markup:
    """Paragraphs and `## ` headings, every character escaped; single line breaks are kept."""
    blocks = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        block = block.strip()
        if not block:
            continue
        if block.startswith("## ") and "\n" not in block:
            blocks.append(Markup("<h2>{}</h2>").format(block[3:].strip()))
        else:
            lines = [escape(line.strip()) for line in block.split("\n")]
            blocks.append(Markup("<p>{}</p>").format(Markup("<br>\n").join(lines)))
    return Markup("\n").join(blocks)
