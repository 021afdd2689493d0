"""Reliability scenarios: fixtures shared with the feature suites, the invariant check run after every
test, and a snapshot of the main tables so that a scenario can assert that nothing else changed.

Fixtures of sibling conftests are not visible here; they are imported explicitly.
A module sets `CHECK_INVARIANTS = False` when it writes violating rows on purpose (test_invariants.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text

from tests.orders.conftest import no_dispatch, world  # noqa: F401 - fixtures reused as they are
from tests.payments.conftest import (  # noqa: F401
    connect_fake,
    localstripe,
    localstripe_server,
    make_shop,
    stripe_requests,
)

# Table → the columns that identify a row and the state a scenario may change. A row is the tuple of these.
TRACKED: dict[str, tuple[str, ...]] = {
    "stock_record": ("product_id", "on_hand", "allocated"),
    "stock_movement": ("id", "product_id", "delta"),
    "pickup_slot": ("id", "capacity", "booked"),
    "basket_line": ("basket_id", "product_id", "quantity"),
    "customer_order": ("id", "status", "payment_status", "total_cents", "paid_cents", "refund_due_cents"),
    "order_part": ("id", "order_id", "shop_id", "status", "subtotal_cents"),
    "order_line": ("id", "part_id", "product_id", "quantity"),
    "order_event": ("id", "order_id", "to_status"),
    "payment": ("order_id", "status", "amount_cents", "amount_captured_cents", "amount_refunded_cents"),
    "refund": ("id", "part_id", "amount_cents", "status"),
    "ledger_entry": ("part_id", "kind", "reference", "amount_cents"),
    "payout": ("part_id", "status", "amount_cents", "amount_reversed_cents"),
    "stripe_event": ("stripe_event_id", "outcome"),
    "outbox_job": ("id", "task_name", "status"),
    "animation": ("id", "capacity", "seats_taken"),
    "animation_registration": ("id", "animation_id", "user_id", "seats", "status"),
}


@dataclass(frozen=True)
class Snapshot:
    """The tracked rows of every main table at one moment."""

    rows: dict[str, frozenset[tuple[Any, ...]]]

    def changes(self, later: Snapshot) -> dict[str, tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]]:
        """Per table that changed: (rows gone, rows new), a row being its tracked columns."""
        out = {}
        for table, before in self.rows.items():
            after = later.rows[table]
            if before != after:
                out[table] = (set(before - after), set(after - before))
        return out

    def changed_tables(self, later: Snapshot) -> set[str]:
        return set(self.changes(later))

    def count(self, table: str) -> int:
        return len(self.rows[table])


def snapshot(app: Any) -> Snapshot:
    """Read the tracked columns of the main tables (a fresh session: what is committed)."""
    from shopapp.extensions import db

    with app.app_context():
        db.session.remove()
        rows = {
            table: frozenset(
                tuple(row) for row in db.session.execute(text(f"SELECT {', '.join(cols)} FROM {table}")).all()
            )
            for table, cols in TRACKED.items()
        }
        db.session.remove()
    return Snapshot(rows)


def assert_only_changed(before: Snapshot, after: Snapshot, *tables: str) -> None:
    """Nothing changed outside `tables` (each of which may or may not have changed)."""
    unexpected = {t: c for t, c in before.changes(after).items() if t not in tables}
    assert not unexpected, f"unexpected changes: {unexpected}"


def assert_unchanged(before: Snapshot, after: Snapshot) -> None:
    assert_only_changed(before, after)


@pytest.fixture(autouse=True)
def _invariants_hold(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each reliability test (and its fixtures' teardown that ran before this one): no violation."""
    yield
    if "app" not in request.fixturenames or not getattr(request.module, "CHECK_INVARIANTS", True):
        return
    from shopapp.dev.invariants import check_invariants
    from shopapp.extensions import db

    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        violations = check_invariants()
        db.session.remove()
    assert violations == [], "invariants violated after the scenario:\n" + "\n".join(violations)
