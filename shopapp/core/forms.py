"""Form helpers shared by the domain packages."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import ValidationError

from shopapp.core.db import MAX_ROW_ID


def is_row_id(value: object) -> bool:
    return isinstance(value, int) and 1 <= value <= MAX_ROW_ID


def row_ids(form: Any, field: Any) -> None:
    """WTForms validator for a field holding a row id, or a list of them."""
    values = field.data if isinstance(field.data, list) else [field.data]
    if any(value is not None and not is_row_id(value) for value in values):
        raise ValidationError(str(_l("Ce choix n'existe pas.")))
