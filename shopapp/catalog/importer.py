"""Bulk import and update of a shop's products and stock from a spreadsheet's CSV export.

Accepts UTF-8 (with or without BOM) and Windows-1252, `;` or `,` separators, French decimal commas
(`4,50`, `1 234,50 €`) and French or English column names. The whole file is checked first; if any
row is invalid nothing is written and every row error is reported. Rows are matched by SKU: new SKUs
are created, existing ones updated only where a value differs, so importing the same file twice
changes nothing the second time (no update, no stock movement).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from shopapp.catalog import services, stock
from shopapp.catalog.models import Category, Product, StockRecord
from shopapp.catalog.search import fold
from shopapp.core.text import count_fr
from shopapp.errors import ValidationFailed
from shopapp.extensions import db

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_REPORTED_ERRORS = 200

COLUMNS: dict[str, tuple[str, ...]] = {
    "sku": ("sku", "reference", "ref", "code"),
    "name": ("nom", "name", "designation", "libelle", "produit"),
    "price": ("prix", "price", "prixttc", "prixeur", "prixeuros"),
    "unit": ("unite", "unit"),
    "net": ("contenance", "quantitenette", "netquantity"),
    "category": ("categorie", "category", "rayon"),
    "vat": ("tva", "vat", "tauxtva", "tvapourcent"),
    "description": ("description",),
    "labels": ("labels", "label"),
    "allergens": ("allergenes", "allergens"),
    "stock": ("stock", "quantite", "qte", "enstock"),
    "threshold": ("seuil", "seuilstockbas", "lowstock", "seuilalerte"),
    "active": ("actif", "active", "enligne"),
    "perishable": ("perissable", "perishable"),
}
REQUIRED = ("sku", "name", "price", "vat")
COLUMN_LABELS = {"sku": "sku", "name": "nom", "price": "prix", "unit": "unité", "net": "contenance",
                 "category": "catégorie", "vat": "tva", "description": "description", "labels": "labels",
                 "allergens": "allergènes", "stock": "stock", "threshold": "seuil", "active": "actif",
                 "perishable": "périssable"}
_ALIASES = {alias: key for key, aliases in COLUMNS.items() for alias in aliases}
_NET = re.compile(r"^\s*(?P<quantity>\d{1,7})\s*(?P<unit>g|ml)\s*$", re.IGNORECASE)
_TRUE = {"1", "oui", "o", "vrai", "true", "yes", "y", "x"}
_FALSE = {"0", "non", "n", "faux", "false", "no"}


@dataclass(frozen=True)
class RowError:
    line: int  # 1 = the header line; 0 = the whole file
    column: str
    message: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stock_changes: int = 0
    rows: int = 0


class ImportFailed(ValidationFailed):
    """The file was refused: `errors` lists every problem, by line; nothing was written."""

    code = "invalid_import"

    def __init__(self, errors: list[RowError], total: int | None = None):
        count = total if total is not None else len(errors)
        errors_text = count_fr(count, "erreur", "erreurs")
        super().__init__(f"Import refusé : {errors_text}, rien n'a été modifié.", fields={"file": errors_text})
        self.errors = errors[:MAX_REPORTED_ERRORS]
        self.total = count


@dataclass
class _Row:
    line: int
    sku: str
    data: services.ProductData
    values: dict[str, Any] = field(default_factory=dict)


def decode(data: bytes) -> str:
    """UTF-8 first (a BOM is dropped), then Windows-1252. :raise ImportFailed: neither fits."""
    if b"\x00" in data:
        raise ImportFailed([RowError(0, "", "Encodage non reconnu (UTF-16 ?) : enregistrez le fichier en CSV UTF-8 "
                                            "ou CSV (séparateur : point-virgule).")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise ImportFailed([RowError(0, "", "Encodage non reconnu : utilisez UTF-8 ou Windows-1252.")])


def parse_cents(raw: str) -> int:
    """`4,50`, `4.5`, `1 234,50 €`, `1.234,50` → cents. :raise ValueError: not a price with ≤ 2 decimals."""
    text = raw.replace("€", "").replace("\u00a0", "").replace("\u202f", "").replace(" ", "").strip()
    if "," in text and "." in text:
        text = text.replace(".", "")
    text = text.replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d{1,2})?", text):
        raise ValueError(raw)
    return int(Decimal(text) * 100)


def parse_vat_bp(raw: str) -> int:
    """`5,5`, `5.5 %`, `10`, `0,2` → basis points. :raise ValueError: not a number."""
    text = raw.replace("%", "").replace(" ", "").replace(",", ".").strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(raw)
    if value < 1:
        value *= 100
    bp = value * 100
    if bp != bp.to_integral_value():
        raise ValueError(raw)
    return int(bp)


def parse_quantity(raw: str) -> int:
    text = raw.replace(" ", "").replace(",", ".").strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(raw)
    if value != value.to_integral_value():
        raise ValueError(raw)
    return int(value)


def _header_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(name))


def _read(text: str) -> tuple[dict[str, int], list[tuple[int, list[str]]], list[RowError]]:
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") and ";" in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    errors: list[RowError] = []
    try:
        header = next(reader)
    except StopIteration:
        return {}, [], [RowError(0, "", "Le fichier est vide.")]
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        key = _ALIASES.get(_header_key(name))
        if key is None:
            if name.strip():
                errors.append(RowError(1, name, f"Colonne inconnue : « {name.strip()} »."))
            continue
        if key in positions:
            errors.append(RowError(1, name, f"Colonne en double : « {name.strip()} »."))
        positions[key] = index
    for key in REQUIRED:
        if key not in positions:
            errors.append(RowError(1, COLUMN_LABELS[key], f"Colonne obligatoire manquante : « {COLUMN_LABELS[key]} »."))
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        errors.append(RowError(reader.line_num, "", f"Ligne illisible : {exc}."))
    return positions, rows, errors


def _category_lookup() -> tuple[dict[str, str], dict[str, int]]:
    """(slug or folded name → slug, slug → id)."""
    lookup: dict[str, str] = {}
    ids: dict[str, int] = {}
    for category_id, slug, name in db.session.execute(select(Category.id, Category.slug, Category.name)):
        lookup[fold(name).strip()] = slug
        lookup[slug] = slug
        ids[slug] = category_id
    return lookup, ids


def _parse_row(line: int, cells: list[str], positions: dict[str, int], categories: dict[str, str],
               category_ids: dict[str, int], is_new: Callable[[str], bool]) -> tuple[_Row | None, list[RowError]]:
    def cell(key: str) -> str | None:
        index = positions.get(key)
        if index is None:
            return None
        return cells[index].strip() if index < len(cells) else ""

    errors: list[RowError] = []
    data = services.ProductData()
    sku = cell("sku") or ""
    data.sku = sku
    data.name = cell("name")
    if (raw := cell("price")) is not None:
        try:
            data.price_cents = parse_cents(raw)
        except ValueError:
            errors.append(RowError(line, "prix", f"Prix invalide : « {raw} » (exemple : 4,50)."))
    if (raw := cell("vat")) is not None:
        try:
            data.vat_rate_bp = parse_vat_bp(raw)
        except ValueError:
            errors.append(RowError(line, "tva", f"Taux de TVA invalide : « {raw} » (5,5, 10 ou 20)."))
    unit = cell("unit")
    data.unit = unit if unit else ("pièce" if is_new(sku) else None)
    if (raw := cell("net")) is not None:
        found = _NET.match(raw.replace("\u00a0", " "))
        if raw == "":
            data.net_quantity, data.net_unit = 0, ""
        elif found is None:
            errors.append(RowError(line, "contenance", f"Contenance invalide : « {raw} » (exemple : 750 ml, 250 g)."))
        else:
            data.net_quantity, data.net_unit = int(found["quantity"]), found["unit"].lower()
    if (raw := cell("category")) is not None:
        if raw == "":
            data.category_slug = ""
        else:
            slug = categories.get(raw) or categories.get(fold(raw).strip())
            if slug is None:
                errors.append(RowError(line, "catégorie", f"Catégorie inconnue : « {raw} »."))
            else:
                data.category_slug = slug
    data.description = cell("description")
    if (raw := cell("labels")) is not None:
        data.labels = [part for part in re.split(r"[|,]", raw) if part.strip()]
    if (raw := cell("allergens")) is not None:
        data.allergens = [part for part in re.split(r"[|,]", raw) if part.strip()]
    for key, label in (("stock", "stock"), ("threshold", "seuil")):
        if (raw := cell(key)) is not None and raw != "":
            try:
                setattr(data, "stock" if key == "stock" else "low_stock_threshold", parse_quantity(raw))
            except ValueError:
                errors.append(RowError(line, label, f"Quantité invalide : « {raw} »."))
    if (raw := cell("active")) is not None:
        flag = fold(raw)
        if flag in _TRUE or flag == "":
            data.is_active = True
        elif flag in _FALSE:
            data.is_active = False
        else:
            errors.append(RowError(line, "actif", f"Valeur invalide : « {raw} » (oui ou non)."))
    if (raw := cell("perishable")) is not None:
        flag = fold(raw)
        if flag in _TRUE:
            data.is_perishable = True
        elif flag in _FALSE or flag == "":
            data.is_perishable = False
        else:
            errors.append(RowError(line, "périssable", f"Valeur invalide : « {raw} » (oui ou non)."))
    values, field_errors = services.validate_product_data(
        data, creating=is_new(sku), categories=category_ids
    )
    reported = {error.column for error in errors}
    for name, message in field_errors.items():
        column = COLUMN_LABELS.get(_FIELD_COLUMNS.get(name, name), name)
        if name == "category" or column in reported:
            continue  # already reported above with the text as written
        errors.append(RowError(line, column, message))
    if errors:
        return None, errors
    return _Row(line, sku, data, values), []


_FIELD_COLUMNS = {"price_cents": "price", "net_quantity": "net", "net_unit": "net", "vat_rate_bp": "vat",
                  "low_stock_threshold": "threshold"}


def check_file(shop_id: int, data: bytes) -> tuple[list[_Row], dict[str, Product]]:
    """Parse and validate the whole file without writing. :raise ImportFailed: any problem."""
    limit = int(current_app.config.get("CATALOG_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))
    if len(data) > limit:
        raise ImportFailed([RowError(0, "", f"Fichier trop volumineux : {limit // (1024 * 1024)} Mo au plus.")])
    text = decode(data)
    positions, raw_rows, errors = _read(text)
    if errors and any(error.line <= 1 for error in errors):
        raise ImportFailed(errors)
    existing = {
        product.sku: product
        for product in db.session.scalars(
            select(Product).where(Product.shop_id == shop_id).options(selectinload(Product.stock))
        )
    }
    categories, category_ids = _category_lookup()
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    for line, cells in raw_rows:
        row, row_errors = _parse_row(line, cells, positions, categories, category_ids,
                                     lambda sku: sku not in existing)
        errors.extend(row_errors)
        if row is None:
            continue
        if row.sku in seen:
            errors.append(RowError(line, "sku", f"Référence « {row.sku} » déjà présente ligne {seen[row.sku]}."))
            continue
        seen[row.sku] = line
        rows.append(row)
    if errors:
        raise ImportFailed(errors)
    if not rows:
        raise ImportFailed([RowError(0, "", "Aucune ligne de produit dans le fichier.")])
    return rows, existing


def import_products(shop_id: int, data: bytes, *, actor_id: int | None = None,
                    progress: Callable[[int], None] | None = None) -> ImportReport:
    """Create or update the shop's products (and stock) from a CSV file, all or nothing. Flushes.

    :raise ImportFailed: the file or any row is invalid (`errors` lists them); nothing was written.
    """
    rows, existing = check_file(shop_id, data)
    report = ImportReport(rows=len(rows))
    for row in rows:
        product = existing.get(row.sku)
        if product is None:
            services.create_product(shop_id, row.data, actor_id=actor_id)
            report.created += 1
            if row.data.stock:
                report.stock_changes += 1
        else:
            changed = services.apply_changes(product, row.values)
            record = product.stock
            if record is None:
                record = product.stock = StockRecord(on_hand=0, allocated=0)
                changed = True
            if row.data.low_stock_threshold is not None and record.low_stock_threshold != row.data.low_stock_threshold:
                record.low_stock_threshold = row.data.low_stock_threshold
                changed = True
            db.session.flush()
            if row.data.stock is not None and row.data.stock != record.on_hand:
                stock.set_on_hand(product.id, row.data.stock, reason="import CSV", actor_id=actor_id)
                report.stock_changes += 1
                changed = True
            if changed:
                report.updated += 1
            else:
                report.unchanged += 1
        if progress is not None:
            progress(1)
    db.session.flush()
    return report
