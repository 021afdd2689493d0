"""Inserting new rows on a hot path (the checkout) without the unit of work's cost.

`insert_loaded(Model, rows)` writes the rows with one Core INSERT … RETURNING id (compiled once per
model) and returns them as detached objects whose every column is known; `db.session.add_all` makes
them persistent: the session neither writes them again nor reads them back. Python-side column
defaults are applied here, as the ORM would apply them (the models on this path have no server-side
defaults).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Insert, Table, insert, inspect
from sqlalchemy.orm import make_transient_to_detached

from shopapp.extensions import db

Model = TypeVar("Model")


@cache
def _statement(table: Table) -> Insert:
    return insert(table).returning(table.c.id, sort_by_parameter_order=True)


@cache
def _attributes(model: type[Any]) -> tuple[tuple[str, str], ...]:
    """(attribute name, column key) of every column the model maps, its primary key `id` apart."""
    return tuple((prop.key, prop.columns[0].key) for prop in inspect(model).column_attrs
                 if prop.columns[0].key != "id")


def _full_row(table: Table, values: Mapping[str, Any]) -> dict[str, Any]:
    row = dict(values)
    for column in table.columns:
        if column.key in row or column.primary_key:
            continue
        default = column.default
        if default is None:
            row[column.key] = None
        elif default.is_callable:
            row[column.key] = default.arg(None)  # type: ignore[attr-defined]
        else:
            row[column.key] = default.arg  # type: ignore[attr-defined]
    return row


def insert_loaded(model: type[Model], rows: Sequence[Mapping[str, Any]]) -> list[Model]:
    """Insert `rows` (by column key) of `model` in one statement and return them, in the same order, as
    detached objects with their identity; the caller adds them to the session once its savepoint holds.
    Relationships are not set: callers set the ones they read (`set_committed_value`), the others load
    when read. Flushes nothing else.

    :raise IntegrityError: a row breaks a constraint (the caller's savepoint or transaction rolls back).
    """
    if not rows:
        return []
    table: Table = model.__table__  # type: ignore[attr-defined]
    full = [_full_row(table, row) for row in rows]
    connection = db.session.connection()
    if len(full) == 1:
        ids = [connection.execute(_statement(table), full[0]).scalar_one()]
    else:
        ids = list(connection.execute(_statement(table), full).scalars())
    objects: list[Model] = []
    for row_id, row in zip(ids, full, strict=True):
        obj = model(id=row_id, **{attribute: row[key] for attribute, key in _attributes(model)})
        make_transient_to_detached(obj)
        objects.append(obj)
    return objects
