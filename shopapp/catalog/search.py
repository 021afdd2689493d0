"""French product search, one service over two engines.

- PostgreSQL: a `product_search(product_id, document tsvector)` table with a GIN index, kept in sync
  by triggers on product, shop and category; the `shop_french` text-search configuration is the
  French one with `unaccent` before the French stemmer (accent-insensitive, plural-tolerant).
- SQLite (embedded default): an FTS5 table `product_search` (rowid = product id) with the unicode61
  tokenizer removing diacritics, kept in sync by the same triggers; plurals and feminines are handled
  on the query side by expanding each word into its French forms (`word_forms`).

The index lives in the database (triggers), not in Python, so rows written by the seed, the CSV
import, the generator or a SQL console are searchable at once. `install_search(engine)` holds the
DDL; the migration runs the same statements (`search_ddl(dialect)`).

Queries never reach the engine's query syntax: the text is cut into words here, so `'`, `%`, `"`,
`*`, `NEAR` or `-` are just text.
"""

# The DDL below is built from constants only (no outside input reaches it): S608 does not apply.
# ruff: noqa: S608
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import Float, Integer, Subquery, text
from sqlalchemy.engine import Engine

MAX_TERMS = 8
MAX_TERM_LENGTH = 40

# Words too common to help (PostgreSQL's french configuration drops them too).
STOPWORDS = frozenset({
    "a", "au", "aux", "avec", "ce", "ces", "d", "dans", "de", "des", "du", "en", "et", "l", "la", "le", "les",
    "leur", "ma", "mon", "ne", "ou", "par", "pas", "pour", "qu", "que", "qui", "sa", "se", "ses", "son", "sur",
    "ta", "te", "tes", "ton", "un", "une", "vos", "votre",
})

# -- the indexed document, per engine --------------------------------------------------------------

_SQLITE_FOLD = "replace(replace(replace(replace({x}, 'œ', 'oe'), 'Œ', 'OE'), 'æ', 'ae'), 'Æ', 'AE')"

_SQLITE_DOCUMENT = (
    "SELECT p.id, {name}, {category}, {shop}, {description} FROM product p "
    "JOIN shop s ON s.id = p.shop_id "
    "LEFT JOIN category c ON c.id = p.category_id LEFT JOIN category pc ON pc.id = c.parent_id "
).format(
    name=_SQLITE_FOLD.format(x="p.name"),
    category=_SQLITE_FOLD.format(x="coalesce(c.name, '') || ' ' || coalesce(pc.name, '')"),
    shop=_SQLITE_FOLD.format(x="s.name"),
    description=_SQLITE_FOLD.format(x="p.description"),
)

_SQLITE_INSERT = "INSERT INTO product_search (rowid, name, category, shop, description) " + _SQLITE_DOCUMENT

SQLITE_DDL: tuple[str, ...] = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS product_search USING fts5("
    "name, category, shop, description, tokenize = 'unicode61 remove_diacritics 2')",
    "DROP TRIGGER IF EXISTS product_search_ai",
    "DROP TRIGGER IF EXISTS product_search_au",
    "DROP TRIGGER IF EXISTS product_search_ad",
    "DROP TRIGGER IF EXISTS shop_search_au",
    "DROP TRIGGER IF EXISTS category_search_au",
    "CREATE TRIGGER product_search_ai AFTER INSERT ON product BEGIN "
    + _SQLITE_INSERT + "WHERE p.id = new.id; END",
    "CREATE TRIGGER product_search_au AFTER UPDATE OF name, description, category_id, shop_id ON product BEGIN "
    "DELETE FROM product_search WHERE rowid = old.id; "
    + _SQLITE_INSERT + "WHERE p.id = new.id; END",
    "CREATE TRIGGER product_search_ad AFTER DELETE ON product BEGIN "
    "DELETE FROM product_search WHERE rowid = old.id; END",
    "CREATE TRIGGER shop_search_au AFTER UPDATE OF name ON shop BEGIN "
    "DELETE FROM product_search WHERE rowid IN (SELECT id FROM product WHERE shop_id = new.id); "
    + _SQLITE_INSERT + "WHERE p.shop_id = new.id; END",
    "CREATE TRIGGER category_search_au AFTER UPDATE OF name ON category BEGIN "
    "DELETE FROM product_search WHERE rowid IN (SELECT p.id FROM product p JOIN category c ON c.id = p.category_id "
    "WHERE c.id = new.id OR c.parent_id = new.id); "
    + _SQLITE_INSERT + "WHERE c.id = new.id OR c.parent_id = new.id; END",
    # Rebuild from what is there (a migration on a populated database, or a re-install).
    "DELETE FROM product_search",
    _SQLITE_INSERT,
)

_PG_DOCUMENT = (
    "SELECT p.id, "
    "setweight(to_tsvector('shop_french', p.name), 'A') || "
    "setweight(to_tsvector('shop_french', coalesce(c.name, '') || ' ' || coalesce(pc.name, '')), 'B') || "
    "setweight(to_tsvector('shop_french', s.name), 'C') || "
    "setweight(to_tsvector('shop_french', p.description), 'D') "
    "FROM product p JOIN shop s ON s.id = p.shop_id "
    "LEFT JOIN category c ON c.id = p.category_id LEFT JOIN category pc ON pc.id = c.parent_id "
)

POSTGRES_DDL: tuple[str, ...] = (
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "DO $$ BEGIN "
    "IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'shop_french') THEN "
    "CREATE TEXT SEARCH CONFIGURATION shop_french (COPY = french); "
    "ALTER TEXT SEARCH CONFIGURATION shop_french ALTER MAPPING FOR hword, hword_part, word "
    "WITH unaccent, french_stem; "
    "END IF; END $$",
    "CREATE TABLE IF NOT EXISTS product_search (product_id integer PRIMARY KEY, document tsvector NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_product_search_document ON product_search USING gin (document)",
    "CREATE OR REPLACE FUNCTION product_search_refresh(product_ids integer[]) RETURNS void LANGUAGE sql AS $$ "
    "DELETE FROM product_search WHERE product_id = ANY(product_ids) "
    "AND NOT EXISTS (SELECT 1 FROM product WHERE product.id = product_search.product_id); "
    "INSERT INTO product_search (product_id, document) " + _PG_DOCUMENT + "WHERE p.id = ANY(product_ids) "
    "ON CONFLICT (product_id) DO UPDATE SET document = EXCLUDED.document; $$",
    "CREATE OR REPLACE FUNCTION product_search_product_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP = 'DELETE' THEN DELETE FROM product_search WHERE product_id = OLD.id; RETURN OLD; END IF; "
    "PERFORM product_search_refresh(ARRAY[NEW.id]); RETURN NEW; END $$",
    "CREATE OR REPLACE FUNCTION product_search_shop_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "PERFORM product_search_refresh(ARRAY(SELECT id FROM product WHERE shop_id = NEW.id)); RETURN NEW; END $$",
    "CREATE OR REPLACE FUNCTION product_search_category_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "PERFORM product_search_refresh(ARRAY(SELECT p.id FROM product p JOIN category c ON c.id = p.category_id "
    "WHERE c.id = NEW.id OR c.parent_id = NEW.id)); RETURN NEW; END $$",
    "DROP TRIGGER IF EXISTS product_search_sync ON product",
    "CREATE TRIGGER product_search_sync AFTER INSERT OR DELETE OR UPDATE OF name, description, category_id, "
    "shop_id ON product FOR EACH ROW EXECUTE FUNCTION product_search_product_sync()",
    "DROP TRIGGER IF EXISTS shop_search_sync ON shop",
    "CREATE TRIGGER shop_search_sync AFTER UPDATE OF name ON shop FOR EACH ROW "
    "WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION product_search_shop_sync()",
    "DROP TRIGGER IF EXISTS category_search_sync ON category",
    "CREATE TRIGGER category_search_sync AFTER UPDATE OF name ON category FOR EACH ROW "
    "WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION product_search_category_sync()",
    "TRUNCATE product_search",
    "INSERT INTO product_search (product_id, document) " + _PG_DOCUMENT,
)


def search_ddl(dialect: str) -> tuple[str, ...]:
    """The statements that create (or re-create) the search index for this SQL dialect, in order."""
    return POSTGRES_DDL if dialect == "postgresql" else SQLITE_DDL


def is_search_object(name: str | None) -> bool:
    """The search index's own tables (outside the models' metadata), which migrations must not drop."""
    return bool(name) and str(name).startswith("product_search")


def install_search(engine: Engine) -> None:
    """Create the search index, its triggers, and fill it from the current rows. Idempotent; commits."""
    with engine.begin() as conn:
        for statement in search_ddl(engine.dialect.name):
            conn.exec_driver_sql(statement)


# -- the query side ----------------------------------------------------------------------------------


def fold(value: str) -> str:
    """Lower case, ligatures spelled out, diacritics removed: `Crème brûlée` → `creme brulee`."""
    value = value.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def query_terms(query: str) -> list[str]:
    """The words of a search string, folded, without stop words; punctuation and operators are dropped."""
    words = re.findall(r"[^\W_]+", fold(query))
    terms = [word[:MAX_TERM_LENGTH] for word in words if word not in STOPWORDS]
    return terms[:MAX_TERMS]


def word_forms(term: str) -> list[str]:
    """Light French inflection for the FTS5 side, close to what the Snowball stemmer conflates on
    PostgreSQL: singular and plural (-s, -x, -al/-aux), masculine and feminine (-e):
    `fromages` → fromage, fromages…; `complet` → complete, completes…"""
    forms = {term}
    base = term
    if len(term) > 3 and term.endswith(("s", "x")):
        base = term[:-1]
        forms.add(base)
    if len(base) > 3 and base.endswith("e"):
        forms.add(base[:-1])
    for stem in list(forms):
        forms.update((stem + "s", stem + "e", stem + "es", stem + "x"))
    if len(term) > 4 and term.endswith("aux"):
        forms.add(term[:-3] + "al")
    if len(term) > 3 and term.endswith("al"):
        forms.add(term[:-2] + "aux")
    return sorted(forms)


def fts5_expression(terms: list[str]) -> str:
    """An FTS5 MATCH expression: every term required, each as a group of quoted word forms. Terms are
    `[^\\W_]+` words, so quoting makes them strings, never operators (NEAR, AND, -, *, ^…)."""
    return " AND ".join("(" + " OR ".join(f'"{form}"' for form in word_forms(term)) + ")" for term in terms)


@dataclass(frozen=True)
class SearchQuery:
    terms: list[str]

    @property
    def is_empty(self) -> bool:
        return not self.terms


def matches(dialect: str, query: SearchQuery) -> Subquery:
    """A subquery of `(product_id, rank)` for the products matching every term; lower rank is better."""
    if dialect == "postgresql":
        stmt = text(
            "SELECT product_id, -ts_rank(document, plainto_tsquery('shop_french', :q)) AS rank "
            "FROM product_search WHERE document @@ plainto_tsquery('shop_french', :q)"
        ).bindparams(q=" ".join(query.terms))
    else:
        # bm25 weights: name, category, shop, description.
        stmt = text(
            "SELECT rowid AS product_id, bm25(product_search, 10.0, 3.0, 2.0, 1.0) AS rank "
            "FROM product_search WHERE product_search MATCH :q"
        ).bindparams(q=fts5_expression(query.terms))
    return stmt.columns(product_id=Integer, rank=Float).subquery("search_match")
