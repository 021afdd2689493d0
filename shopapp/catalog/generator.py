"""A deterministic benchmark catalog: French-like shops, categories and products from a seed.

`flask catalog generate` and `bench/` share it, so both measure the same data: the same seed gives
the same rows, byte for byte.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import insert, select

from shopapp.catalog.models import Category, Product, Shop, ShopStatus, StockRecord
from shopapp.catalog.services import product_slug
from shopapp.extensions import db

SLUG_PREFIX = "gen-"

# parent category → (trade, children with their nouns)
TREE: dict[str, tuple[str, dict[str, list[str]]]] = {
    "Boulangerie": ("Boulangerie", {
        "Pains": ["Pain complet", "Baguette tradition", "Pain de campagne", "Pain aux céréales", "Fougasse",
                  "Pain de seigle", "Miche au levain"],
        "Viennoiseries": ["Croissant", "Pain au chocolat", "Brioche", "Chausson aux pommes", "Pain aux raisins"],
        "Pâtisseries": ["Tarte aux fraises", "Éclair au café", "Flan pâtissier", "Paris-brest", "Mille-feuille"],
    }),
    "Fromagerie": ("Fromagerie", {
        "Fromages de chèvre": ["Fromage de chèvre", "Crottin", "Bûche de chèvre", "Valençay", "Sainte-maure"],
        "Fromages à pâte dure": ["Comté", "Beaufort", "Tomme de Savoie", "Mimolette", "Cantal"],
        "Crèmerie": ["Crème fraîche", "Beurre demi-sel", "Yaourt fermier", "Fromage blanc", "Lait cru"],
    }),
    "Boucherie": ("Boucherie", {
        "Bœuf": ["Entrecôte", "Bavette", "Pot-au-feu", "Rôti de bœuf", "Steak haché"],
        "Volaille": ["Poulet fermier", "Cuisse de canard", "Pintade", "Filet de dinde", "Magret"],
        "Charcuterie": ["Saucisson sec", "Pâté de campagne", "Rillettes", "Jambon blanc", "Terrine"],
    }),
    "Primeur": ("Primeur", {
        "Fruits": ["Pomme", "Poire", "Fraise", "Abricot", "Raisin", "Cerise"],
        "Légumes": ["Carotte", "Poireau", "Courgette", "Tomate", "Pomme de terre", "Potiron"],
        "Herbes aromatiques": ["Persil", "Ciboulette", "Basilic", "Thym", "Coriandre"],
    }),
    "Épicerie fine": ("Épicerie fine", {
        "Miels et confitures": ["Miel de fleurs", "Confiture de fraises", "Gelée de coing", "Miel d'acacia"],
        "Huiles et condiments": ["Huile d'olive", "Moutarde à l'ancienne", "Vinaigre de cidre", "Sel de Guérande"],
        "Thés et cafés": ["Café moulu", "Thé vert", "Infusion verveine", "Café en grains"],
    }),
}
QUALIFIERS = ["fermier", "bio", "de la Loire", "du Berry", "de Touraine", "maison", "à l'ancienne", "affiné",
              "extra", "de saison", "du Gâtinais", "au levain", "nature", "aux herbes", "de montagne", "artisanal"]
SURNAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
            "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
            "Morel", "Girard", "André", "Lefranc", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez"]
DESCRIPTIONS = ["Préparé chaque matin dans notre atelier.", "Sélectionné auprès d'un producteur voisin.",
                "Une recette de famille, transmise depuis trois générations.", "Cultivé sans traitement.",
                "Idéal pour un repas de fête.", "À déguster à température ambiante.",
                "Se conserve quelques jours au frais.", "Vendu au poids, servi à la coupe."]
UNITS = ["pièce", "kg", "100 g", "250 g", "barquette", "bouteille", "pot", "sachet", "botte"]
LABELS = ["bio", "local", "fait maison", "AOP", "label rouge", "de saison"]
VAT = [550, 550, 550, 1000, 2000]


@dataclass(frozen=True)
class GenCategory:
    slug: str
    name: str
    parent_slug: str | None


@dataclass(frozen=True)
class GenShop:
    slug: str
    name: str
    trade: str
    parent_category: str


@dataclass(frozen=True)
class GenProduct:
    shop_slug: str
    sku: str
    name: str
    slug: str
    category_slug: str
    price_cents: int
    unit: str
    vat_rate_bp: int
    labels: tuple[str, ...]
    description: str
    stock: int


@dataclass(frozen=True)
class Dataset:
    categories: list[GenCategory]
    shops: list[GenShop]
    products: list[GenProduct]


def generate(seed: int = 42, shops: int = 50, products: int = 10_000) -> Dataset:
    """The data set for a seed: 20 categories (5 parents × 3 children), `shops` shops, `products` products."""
    rng = random.Random(seed)
    categories: list[GenCategory] = []
    for parent, (_trade, children) in TREE.items():
        parent_slug = SLUG_PREFIX + product_slug(parent)
        categories.append(GenCategory(parent_slug, parent, None))
        categories += [GenCategory(SLUG_PREFIX + product_slug(child), child, parent_slug) for child in children]
    parents = list(TREE)
    shop_rows = []
    for index in range(shops):
        parent = parents[index % len(parents)]
        trade = TREE[parent][0]
        name = f"{trade} {SURNAMES[index % len(SURNAMES)]}" + (f" {index // len(SURNAMES) + 1}"
                                                              if index >= len(SURNAMES) else "")
        shop_rows.append(GenShop(SLUG_PREFIX + product_slug(name), name, trade, parent))
    product_rows = []
    for index in range(products):
        shop = shop_rows[index % shops]
        children = TREE[shop.parent_category][1]
        child = rng.choice(list(children))
        name = f"{rng.choice(children[child])} {rng.choice(QUALIFIERS)}"
        number = index // shops + 1
        product_rows.append(GenProduct(
            shop_slug=shop.slug, sku=f"GEN-{number:05d}", name=name, slug=f"{product_slug(name)}-{number}",
            category_slug=SLUG_PREFIX + product_slug(child), price_cents=rng.randrange(90, 4990, 10),
            unit=rng.choice(UNITS), vat_rate_bp=rng.choice(VAT),
            labels=tuple(sorted(rng.sample(LABELS, rng.randint(0, 2)))),
            description=" ".join(rng.sample(DESCRIPTIONS, 2)), stock=rng.choice([0, 2, 5, 10, 20, 40, 80]),
        ))
    return Dataset(categories, shop_rows, product_rows)


def load(dataset: Dataset, progress: Callable[[int], None] | None = None, batch: int = 1000) -> bool:
    """Insert the data set unless its first shop exists (then False, nothing written). Flushes."""
    if db.session.scalar(select(Shop.id).where(Shop.slug == dataset.shops[0].slug)) is not None:
        return False
    category_ids: dict[str, int] = {}
    for position, category in enumerate(dataset.categories):
        row = Category(slug=category.slug, name=category.name, position=position,
                       parent_id=category_ids[category.parent_slug] if category.parent_slug else None)
        db.session.add(row)
        db.session.flush()
        category_ids[category.slug] = row.id
    shop_ids: dict[str, int] = {}
    for shop in dataset.shops:
        row_shop = Shop(slug=shop.slug, name=shop.name, trade=shop.trade, status=ShopStatus.APPROVED,
                        description=f"{shop.trade} indépendante du centre-ville.", opening_days=[2, 3, 4, 5, 6])
        db.session.add(row_shop)
        db.session.flush()
        shop_ids[shop.slug] = row_shop.id
    for start in range(0, len(dataset.products), batch):
        chunk = dataset.products[start:start + batch]
        ids = db.session.scalars(
            insert(Product).returning(Product.id, sort_by_parameter_order=True),
            [{"shop_id": shop_ids[p.shop_slug], "category_id": category_ids[p.category_slug], "sku": p.sku,
              "name": p.name, "slug": p.slug, "description": p.description, "price_cents": p.price_cents,
              "currency": "EUR", "unit": p.unit, "vat_rate_bp": p.vat_rate_bp, "labels": list(p.labels),
              "allergens": [], "is_active": True} for p in chunk],
        ).all()
        db.session.execute(insert(StockRecord), [
            {"product_id": product_id, "on_hand": p.stock, "allocated": 0, "low_stock_threshold": 3}
            for product_id, p in zip(ids, chunk, strict=True)
        ])
        if progress is not None:
            progress(len(chunk))
    db.session.flush()
    return True
