"""Form helpers shared by the domain packages."""

from __future__ import annotations

from collections.abc import Callable
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
