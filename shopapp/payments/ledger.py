"""The append-only ledger: postings unique per (part, kind, reference), balances derived from them.

Sign convention: amounts are seen from the shop's side; positive is owed to the shop (a sale, a
commission given back, a transfer reversal), negative is taken (commission and its VAT, payout, refund). A shop's
balance is what the platform still owes it: 0 once a collected part is paid out, negative when the shop
owes money (a refund after its payout whose transfer could not be reversed). Memo kinds
(`MEMO_KINDS`: receivables) are shown on statements but not summed. The VAT on the commission is
withheld with it: the payout is received − commission − VAT on the commission.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from shopapp.core.clock import utcnow
from shopapp.extensions import db
from shopapp.payments.models import MEMO_KINDS, LedgerEntry, LedgerKind


@dataclass(frozen=True)
class Posting:
    shop_id: int
    part_id: int
    order_id: int
    kind: LedgerKind
    amount_cents: int
    currency: str
    reference: str


@dataclass(frozen=True)
class Balance:
    shop_id: int
    balance_cents: int
    by_kind: dict[str, int]


def insert_ignoring_duplicates(model: type[Any], rows: Sequence[dict[str, Any]]) -> int:
    """INSERT rows, silently skipping those that hit a unique constraint; return how many went in.

    `INSERT … ON CONFLICT DO NOTHING` on PostgreSQL and SQLite: a concurrent duplicate waits for the
    first writer and then does nothing, with no exception and no savepoint. Flushes pending ORM work
    first (autoflush); never commits.
    """
    if not rows:
        return 0
    dialect = db.session.get_bind().dialect.name
    table = model.__table__
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table).values(list(rows)).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).values(list(rows)).on_conflict_do_nothing()
    else:  # pragma: no cover - the project runs on these two only
        raise RuntimeError(f"unsupported database dialect {dialect!r}")
    # RETURNING lists only the rows inserted: a reliable count on both drivers (rowcount is not).
    return len(db.session.execute(stmt.returning(table.c.id)).all())


def post(postings: Iterable[Posting]) -> int:
    """Append postings; one already recorded (same part, kind, reference) is skipped.

    Returns how many were new. Flushes, never commits.
    """
    now = utcnow()
    rows = [{**asdict(p), "kind": str(p.kind), "created_at": now} for p in postings]
    return insert_ignoring_duplicates(LedgerEntry, rows)


def entries_for_part(part_id: int) -> list[LedgerEntry]:
    """Every posting of one part, oldest first."""
    return list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.part_id == part_id).order_by(LedgerEntry.id)))


def part_balance(part_id: int) -> int:
    """What one part's postings still owe the shop (memo kinds excluded)."""
    return int(db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .where(LedgerEntry.part_id == part_id, LedgerEntry.kind.not_in([str(k) for k in MEMO_KINDS]))
    ) or 0)


def is_settled(part_id: int) -> bool:
    """Whether the part's receipt (card sale or pickup receipt) has been posted."""
    return db.session.scalar(
        select(LedgerEntry.id).where(
            LedgerEntry.part_id == part_id,
            LedgerEntry.kind.in_([str(LedgerKind.SALE), str(LedgerKind.PICKUP_RECEIPT)]),
        ).limit(1)
    ) is not None


def balance(shop_id: int) -> Balance:
    """The shop's balance and its total per kind (memo kinds included in `by_kind`, not in the balance)."""
    rows = db.session.execute(
        select(LedgerEntry.kind, func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .where(LedgerEntry.shop_id == shop_id)
        .group_by(LedgerEntry.kind)
    ).all()
    by_kind = {str(kind): int(total) for kind, total in rows}
    total = sum(amount for kind, amount in by_kind.items() if kind not in MEMO_KINDS)
    return Balance(shop_id=shop_id, balance_cents=total, by_kind=by_kind)


def balances(shop_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Balance per shop (memo kinds excluded), for every shop with postings or the ones named."""
    stmt = (
        select(LedgerEntry.shop_id, func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .where(LedgerEntry.kind.not_in([str(k) for k in MEMO_KINDS]))
        .group_by(LedgerEntry.shop_id)
    )
    if shop_ids is not None:
        stmt = stmt.where(LedgerEntry.shop_id.in_(list(shop_ids)))
    return {int(shop_id): int(total) for shop_id, total in db.session.execute(stmt).all()}
