"""Stock never goes negative, even with concurrent adjustments (PostgreSQL: real concurrent transactions)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from tests.conftest import IS_POSTGRES


@pytest.mark.postgres
@pytest.mark.skipif(not IS_POSTGRES, reason="needs PostgreSQL row locks and concurrent transactions")
def test_concurrent_removals_never_oversell(app, catalog):
    shop = catalog.shop("boutique-a")
    product_id = catalog.product(shop, "A-1", "Pain", stock=10)
    barrier = threading.Barrier(16)
    outcomes: list[str] = []
    lock = threading.Lock()

    def remove_one() -> None:
        from shopapp.catalog import services
        from shopapp.core.transaction import commit
        from shopapp.errors import InsufficientStock
        from shopapp.extensions import db

        with app.app_context():
            barrier.wait()
            try:
                services.adjust_stock(shop, product_id, -1, "vente en caisse")
                commit()
                result = "ok"
            except InsufficientStock:
                db.session.rollback()
                result = "refused"
            finally:
                db.session.remove()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=remove_one) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["ok"] * 10 + ["refused"] * 6
    assert catalog.stock(product_id) == (0, 0)
    from shopapp.catalog.models import StockMovement
    from shopapp.extensions import db

    with app.app_context():
        afters = sorted(db.session.scalars(
            select(StockMovement.on_hand_after).where(StockMovement.reason == "vente en caisse")).all())
    assert afters == list(range(10))


def test_stock_counters_are_constrained_in_the_schema(app, catalog):
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    from shopapp.catalog.models import Product, StockRecord
    from shopapp.extensions import db

    shop = catalog.shop("boutique-a")
    product_id = catalog.product(shop, "A-1", "Pain", stock=2)

    with app.app_context():
        for statement in (update(StockRecord).values(on_hand=-1), update(Product).values(price_cents=-5)):
            with pytest.raises(IntegrityError):
                db.session.execute(statement)
                db.session.flush()
            db.session.rollback()
    assert catalog.stock(product_id) == (2, 0)
