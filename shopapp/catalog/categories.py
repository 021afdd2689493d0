"""The default French tree of categories that a new town starts with (`flask setup`, the demo seed);
the association edits it afterwards."""

from __future__ import annotations

from sqlalchemy import select

from shopapp.catalog.models import Category
from shopapp.extensions import db

# (slug, French name, parent slug or None); parents are listed before their children.
DEFAULT_CATEGORIES: list[tuple[str, str, str | None]] = [
    ("boulangerie-patisserie", "Boulangerie et pâtisserie", None),
    ("pains", "Pains", "boulangerie-patisserie"),
    ("viennoiseries", "Viennoiseries", "boulangerie-patisserie"),
    ("patisseries", "Pâtisseries", "boulangerie-patisserie"),

    ("fromages-cremerie", "Fromages et crèmerie", None),
    ("fromages-de-chevre", "Fromages de chèvre", "fromages-cremerie"),
    ("fromages-a-pate-dure", "Fromages à pâte dure", "fromages-cremerie"),
    ("fromages-a-pate-molle", "Fromages à pâte molle", "fromages-cremerie"),
    ("cremerie", "Crèmerie et œufs", "fromages-cremerie"),

    ("boucherie-charcuterie", "Boucherie et charcuterie", None),
    ("viande-de-boeuf", "Viande de bœuf", "boucherie-charcuterie"),
    ("viande-de-porc", "Viande de porc", "boucherie-charcuterie"),
    ("agneau-veau", "Agneau et veau", "boucherie-charcuterie"),
    ("volaille", "Volaille", "boucherie-charcuterie"),
    ("charcuterie", "Charcuterie", "boucherie-charcuterie"),
    ("traiteur", "Traiteur", "boucherie-charcuterie"),

    ("fruits-legumes", "Fruits et légumes", None),
    ("fruits", "Fruits", "fruits-legumes"),
    ("legumes", "Légumes", "fruits-legumes"),

    ("vins-spiritueux", "Vins, bières et spiritueux", None),
    ("vins-rouges", "Vins rouges", "vins-spiritueux"),
    ("vins-blancs", "Vins blancs et effervescents", "vins-spiritueux"),
    ("vins-roses", "Vins rosés", "vins-spiritueux"),
    ("bieres-artisanales", "Bières artisanales", "vins-spiritueux"),
    ("cidres", "Cidres", "vins-spiritueux"),
    ("spiritueux", "Spiritueux", "vins-spiritueux"),

    ("livres", "Livres", None),
    ("romans", "Romans", "livres"),
    ("livres-jeunesse", "Livres jeunesse", "livres"),
    ("bandes-dessinees", "Bandes dessinées", "livres"),
    ("beaux-livres", "Beaux livres", "livres"),

    ("fleurs-plantes", "Fleurs et plantes", None),
    ("bouquets", "Bouquets", "fleurs-plantes"),
    ("plantes", "Plantes", "fleurs-plantes"),

    ("epicerie-fine", "Épicerie fine", None),
    ("huiles-condiments", "Huiles et condiments", "epicerie-fine"),
    ("miels-confitures", "Miels et confitures", "epicerie-fine"),
    ("conserves", "Conserves", "epicerie-fine"),
    ("biscuiterie", "Biscuiterie", "epicerie-fine"),
    ("jus-limonades", "Jus et limonades", "epicerie-fine"),

    ("cafe-the", "Café et thé", None),
    ("cafes-en-grains", "Cafés en grains", "cafe-the"),
    ("cafes-moulus", "Cafés moulus", "cafe-the"),
    ("thes-infusions", "Thés et infusions", "cafe-the"),

    ("chocolats-confiserie", "Chocolats et confiserie", None),
    ("tablettes", "Tablettes", "chocolats-confiserie"),
    ("bonbons", "Bonbons de chocolat", "chocolats-confiserie"),
    ("confiseries", "Confiseries", "chocolats-confiserie"),
]


# Their products carry the health mention and ask the buyer to confirm being of age.
ALCOHOLIC_CATEGORIES = frozenset({"vins-spiritueux", "vins-rouges", "vins-blancs", "vins-roses", "bieres-artisanales",
                                  "cidres", "spiritueux"})


def create_default_categories() -> int:
    """Add the default tree where no category exists yet; returns how many were created. Flushes."""
    if db.session.scalar(select(Category.id).limit(1)) is not None:
        return 0
    created: dict[str, Category] = {}
    for position, (slug, name, parent) in enumerate(DEFAULT_CATEGORIES):
        created[slug] = Category(slug=slug, name=name, parent=created.get(parent) if parent else None,
                                 position=position, is_alcoholic=slug in ALCOHOLIC_CATEGORIES)
        db.session.add(created[slug])
    db.session.flush()
    return len(created)
