"""Form helpers shared by the domain packages."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from wtforms import StringField, ValidationError

from shopapp.core.db import MAX_ROW_ID
from shopapp.errors import DomainError


def is_row_id(value: object) -> bool:
    return isinstance(value, int) and 1 <= value <= MAX_ROW_ID


def row_ids(form: Any, field: Any) -> None:
    """WTForms validator for a field holding a row id, or a list of them."""
    values = field.data if isinstance(field.data, list) else [field.data]
    if any(value is not None and not is_row_id(value) for value in values):
        raise ValidationError(str(_l("Ce choix n'existe pas.")))


def save_upload(field: Any, store: Callable[[bytes], object]) -> bool:
    """Hand an uploaded file's bytes to `store` (an image service); a refusal (DomainError) is put next to
    the field, in French, and False returned."""
    try:
        store(field.data.read())
    except DomainError as error:
        field.errors = [*field.errors, error.message]
        return False
    return True


def report_errors(form: Any, error: DomainError, *, aliases: Mapping[str, str] | None = None,
                  fallback: str | None = None) -> None:
    """Show a service's field errors next to the form's fields.

    `aliases` maps a service's field name to the form's (`price_cents` → `price`). An error naming no field
    of the form goes next to the `fallback` field, with the error's message when it names no field at all.
    Without a fallback, an error none of whose fields is on the form is raised again (the error pages
    show it).
    """
    aliases = aliases or {}
    fields = error.fields or ({fallback: error.message} if fallback is not None else {})
    placed = False
    for name, message in fields.items():
        target = aliases.get(name, name)
        if target not in form:
            if fallback is None:
                continue
            target = fallback
        form[target].errors = [*form[target].errors, message]
        placed = True
    if not placed:
        raise error


def parse_decimal(text: str) -> Decimal | None:
    """`8,5`, `8.5`, ` 8,5 % ` → Decimal("8.5"); a comma or a dot as the decimal mark, spaces and a percent
    sign ignored. None when it is not a plain non-negative number."""
    cleaned = "".join(ch for ch in text if not ch.isspace() and ch != "%").replace(",", ".")
    if not cleaned or any(ch not in "0123456789." for ch in cleaned) or cleaned.count(".") > 1 or cleaned == ".":
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


class PercentField(StringField):
    """A rate typed in percent, as people write it (`8,5 %`, `8.5`, `10`), whose `data` is in basis points
    (8,5 % → 850). Shown back in the visitor's language (`8,5` in French). Empty gives None; a text that is
    no percentage between 0 and 100 with at most two decimals is an error in French."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        value = parse_decimal(str(valuelist[0]))
        if value is None:
            self.data = None
            raise ValueError(str(_l("Indiquez un pourcentage, par exemple 8,5.")))
        if not 0 <= value <= 100:
            raise ValueError(str(_l("Entre 0 et 100 %.")))
        bps = value * 100
        if bps != bps.to_integral_value():
            raise ValueError(str(_l("Deux décimales au plus, par exemple 8,25.")))
        self.data = int(bps)

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is None:
            return ""
        return str(format_decimal(Decimal(self.data) / 100, format="0.##"))


class EurosField(StringField):
    """An amount typed in euros, as people write it (`12,50`, `12.5`, `12 €`), whose `data` is in cents
    (12,50 → 1250). Empty gives None; a text that is no amount, negative, or with more than two decimals is
    an error in French."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        value = parse_decimal(str(valuelist[0]).replace("€", ""))
        if value is None or value < 0:
            raise ValueError(str(_l("Indiquez un montant en euros, par exemple 12,50.")))
        cents = value * 100
        if cents != cents.to_integral_value():
            raise ValueError(str(_l("Deux décimales au plus, par exemple 12,50.")))
        self.data = int(cents)

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is None:
            return ""
        return str(format_decimal(Decimal(self.data) / 100, format="0.00"))
