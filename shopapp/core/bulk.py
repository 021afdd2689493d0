"""Inserting new rows on a hot path (the checkout) without the unit of work's cost.

`insert_loaded(Model, rows)` writes the rows with one Core INSERT … RETURNING id (compiled once per
model) and returns them as detached objects whose every column is known; `attach` makes them
persistent: the session neither writes them again nor reads them back. Python-side column
defaults are applied here, as the ORM would apply them (the models on this path have no server-side
defaults).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Insert, Table, TextClause, bindparam, event, insert, inspect, text
from sqlalchemy.orm import Session, SessionTransaction, class_mapper, make_transient_to_detached

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


@cache
def _skipping_taken(table: Table, count: int, key: str) -> TextClause:
    """INSERT of `count` rows … ON CONFLICT DO NOTHING RETURNING id, `key` (PostgreSQL, SQLite ≥ 3.35), as
    text built once per row count (SQLAlchemy compiles its dialects' ON CONFLICT constructs anew each time)."""
    quote = db.engine.dialect.identifier_preparer.quote
    columns = [column.key for column in table.columns if not column.primary_key]
    values = ", ".join("(" + ", ".join(f":{name}_{n}" for name in columns) + ")" for n in range(count))
    # Only the model's own table and column names (quoted) and numbered placeholders go in the text: every
    # value is a bound parameter.
    return text(
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in columns)}) VALUES {values}"  # noqa: S608
        f" ON CONFLICT DO NOTHING RETURNING id, {quote(key)}"
    ).bindparams(*(bindparam(f"{name}_{n}", type_=table.c[name].type) for n in range(count) for name in columns))


def insert_skipping_taken(model: type[Model], rows: Sequence[Mapping[str, Any]], *, key: str) -> dict[Any, Model]:
    """`insert_loaded`, except that a row breaking a unique constraint is left out instead of failing the
    statement (ON CONFLICT DO NOTHING): returns the rows written, by their value of `key` (a column unique
    among `rows`). The caller writes the others again (e.g. with new random codes): no savepoint needed.

    :raise IntegrityError: a row breaks another kind of constraint (a foreign key, a check).
    """
    if not rows:
        return {}
    table: Table = model.__table__  # type: ignore[attr-defined]
    full = [_full_row(table, row) for row in rows]
    by_key = {row[key]: row for row in full}
    params = {f"{name}_{n}": value for n, row in enumerate(full) for name, value in row.items()}
    written: dict[Any, Model] = {}
    for row_id, value in db.session.connection().execute(_skipping_taken(table, len(full), key), params):
        written[value] = _detached(model, row_id, by_key[value])
    return written


def insert_loaded(model: type[Model], rows: Sequence[Mapping[str, Any]]) -> list[Model]:
    """Insert `rows` (by column key) of `model` in one statement and return them, in the same order, as
    detached objects with their identity; the caller makes them persistent with `attach`.
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
    return [_detached(model, row_id, row) for row_id, row in zip(ids, full, strict=True)]


_WRITTEN = "bulk_written_objects"


def attach(objects: Sequence[Any]) -> None:
    """Make objects of rows just written (`insert_loaded`, `insert_skipping_taken`) persistent in the session.

    The session does not know they were written in its current transaction (or savepoint): should that be
    rolled back, their rows are gone, so they are taken out of the session then (see `_forget_rolled_back`),
    as the unit of work does for the objects it inserted."""
    session = db.session()
    written_in = session.get_nested_transaction() or session.get_transaction()
    session.add_all(objects)
    session.info.setdefault(_WRITTEN, []).append((written_in, list(objects)))


def _within(transaction: SessionTransaction | None, rolled_back: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is rolled_back:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    written = session.info.get(_WRITTEN)
    if not written:
        return
    kept = []
    for written_in, objects in written:
        if _within(written_in, previous_transaction):
            for obj in objects:
                if obj in session:
                    session.expunge(obj)
        else:
            kept.append((written_in, objects))
    session.info[_WRITTEN] = kept


@event.listens_for(Session, "after_commit")
def _written_for_good(session: Session) -> None:
    if not session.in_transaction():  # the root transaction committed (a released savepoint keeps them)
        session.info.pop(_WRITTEN, None)


def as_loaded(model: type[Model], fields: Mapping[str, Any]) -> Model:
    """An instance of `model` holding `fields` (by attribute name) as the ORM's loading puts them: in its
    dictionary, without the attribute event that `model(**fields)` fires for each one."""
    instance: Model = class_mapper(model).class_manager.new_instance()
    instance.__dict__.update(fields)
    return instance


def _detached(model: type[Model], row_id: int, row: Mapping[str, Any]) -> Model:
    """The object of a row just written, every column known, detached with its identity."""
    obj = as_loaded(model, {"id": row_id, **{attribute: row[key] for attribute, key in _attributes(model)}})
    make_transient_to_detached(obj)
    return obj
