"""Form helpers shared by the domain packages."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import ValidationError

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
