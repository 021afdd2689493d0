"""Suggestions as a resident types in the search box: products, shops and categories whose name has a
word starting with each word typed, accent-, case- and ligature-insensitive ("crem" → crème, "oeu" →
œufs, "boul" → boulangerie).

Names are folded here (catalog.search.fold) rather than in SQL: SQLite has no unaccent, and a town's
catalog is small (hundreds of names, read in three light statements; the API caches each answer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select

from shopapp.catalog import search
from shopapp.catalog.models import Category, Product, Shop, ShopStatus
from shopapp.extensions import db

MAX_SUGGESTIONS = 8
Kind = Literal["product", "shop", "category"]
# On an equal match, a shop or a category (a whole aisle) comes before one product.
_KIND_RANK = {"shop": 0, "category": 1, "product": 2}


@dataclass(frozen=True)
class Suggestion:
    kind: Kind
    id: int
    label: str
    endpoint: str
    values: dict[str, object] = field(default_factory=dict)


def _words(label: str) -> list[str]:
    return re.findall(r"[^\W_]+", search.fold(label))


def _score(label: str, terms: list[str]) -> int | None:
    """None when some term starts no word of the label; 0 when the label starts with the first term,
    1 when another word does."""
    words = _words(label)
    if not all(any(word.startswith(term) for word in words) for term in terms):
        return None
    return 0 if words and words[0].startswith(terms[0]) else 1


def _candidates() -> list[Suggestion]:
    visible_shop = Shop.status == ShopStatus.APPROVED
    shops = db.session.execute(select(Shop.id, Shop.name, Shop.slug).where(visible_shop)).all()
    categories = db.session.execute(select(Category.id, Category.name, Category.slug)).all()
    products = db.session.execute(
        select(Product.id, Product.name).join(Shop, Shop.id == Product.shop_id)
        .where(Product.is_active.is_(True), visible_shop)
    ).all()
    return (
        [Suggestion("shop", id_, name, "catalog.shop", {"slug": slug}) for id_, name, slug in shops]
        + [Suggestion("category", id_, name, "catalog.category", {"slug": slug}) for id_, name, slug in categories]
        + [Suggestion("product", id_, name, "catalog.product", {"product_id": id_}) for id_, name in products]
    )


def suggest(text: str, limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
    """At most `limit` suggestions for what was typed, best first: names starting with it, then names
    with a later word starting with it; shops and categories before products; shorter names first."""
    terms = search.query_terms(text) or [word for word in _words(text)][:search.MAX_TERMS]
    if not terms:
        return []
    scored = []
    for candidate in _candidates():
        score = _score(candidate.label, terms)
        if score is not None:
            key = (score, _KIND_RANK[candidate.kind], len(candidate.label), search.fold(candidate.label),
                   candidate.id)
            scored.append((key, candidate))
    scored.sort(key=lambda pair: pair[0])
    return [candidate for _key, candidate in scored[:limit]]
