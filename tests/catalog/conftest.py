"""Catalog fixtures: the search index, and factory fixtures for shops, categories and products."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import event, select

from tests.conftest import IS_POSTGRES


@dataclass
class Catalog:
    app: Any

    def category(self, slug: str, name: str, parent: str | None = None) -> int:
        from shopapp.catalog.models import Category
        from shopapp.extensions import db

        with self.app.app_context():
            parent_id = db.session.scalar(select(Category.id).where(Category.slug == parent)) if parent else None
            row = Category(slug=slug, name=name, parent_id=parent_id)
            db.session.add(row)
            db.session.commit()
            return row.id

    def shop(self, slug: str, name: str | None = None, *, status: str = "approved", staff: tuple[int, ...] = (),
             trade: str = "Épicerie") -> int:
        from shopapp.catalog.models import Shop, ShopStaff
        from shopapp.extensions import db

        with self.app.app_context():
            row = Shop(slug=slug, name=name or slug.replace("-", " ").title(), trade=trade, status=status)
            db.session.add(row)
            db.session.flush()
            for user_id in staff:
                db.session.add(ShopStaff(shop_id=row.id, user_id=user_id, is_owner=True))
            db.session.commit()
            return row.id

    def product(self, shop_id: int, sku: str, name: str, *, price_cents: int = 450, category: str | None = None,
                stock: int = 10, description: str = "", labels: list[str] | None = None, unit: str = "pièce",
                vat_rate_bp: int = 550, active: bool = True, threshold: int = 3) -> int:
        from shopapp.catalog import services
        from shopapp.extensions import db

        with self.app.app_context():
            product = services.create_product(shop_id, services.ProductData(
                sku=sku, name=name, price_cents=price_cents, unit=unit, category_slug=category,
                vat_rate_bp=vat_rate_bp, description=description, labels=labels or [], stock=stock,
                is_active=active, low_stock_threshold=threshold,
            ))
            db.session.commit()
            return product.id

    def stock(self, product_id: int) -> tuple[int, int]:
        from shopapp.catalog.models import StockRecord
        from shopapp.extensions import db

        with self.app.app_context():
            record = db.session.scalar(select(StockRecord).where(StockRecord.product_id == product_id))
            assert record is not None
            return record.on_hand, record.allocated

    def movements(self, product_id: int | None = None) -> list[tuple[int, int, str]]:
        from shopapp.catalog.models import StockMovement
        from shopapp.extensions import db

        with self.app.app_context():
            stmt = select(StockMovement).order_by(StockMovement.id)
            if product_id is not None:
                stmt = stmt.where(StockMovement.product_id == product_id)
            return [(m.product_id, m.delta, m.reason) for m in db.session.scalars(stmt)]

    def snapshot(self) -> list[tuple[Any, ...]]:
        """Every product with its stock, to assert that a refused operation changed nothing."""
        from shopapp.catalog.models import Product
        from shopapp.extensions import db

        with self.app.app_context():
            rows = db.session.scalars(select(Product).order_by(Product.id)).all()
            return [(p.id, p.shop_id, p.sku, p.name, p.price_cents, p.category_id, p.is_active, p.unit,
                     p.vat_rate_bp, tuple(p.labels), p.image_path, p.stock.on_hand if p.stock else None)
                    for p in rows]


@pytest.fixture
def catalog(app):  # type: ignore[no-untyped-def]
    return Catalog(app)


@pytest.fixture
def caching(app, monkeypatch):  # type: ignore[no-untyped-def]
    from shopapp.core import page_cache
    from shopapp.extensions import cache

    # The other tests run with NullCache; these turn on the cache each backend runs with: the shared
    # Redis cache on the services backend (as in production), the per-process LRU on the embedded one.
    monkeypatch.setitem(app.config, "CACHE_TYPE", "RedisCache" if IS_POSTGRES else "shopapp.core.lru.LRUCache")
    cache.init_app(app)
    with app.app_context():
        page_cache.clear()
    yield
    with app.app_context():
        page_cache.clear()
    monkeypatch.setitem(app.config, "CACHE_TYPE", "NullCache")
    cache.init_app(app)


@pytest.fixture
def count_statements(app):  # type: ignore[no-untyped-def]
    """Context manager counting the SQL statements sent while it is open."""
    from contextlib import contextmanager

    from shopapp.extensions import db

    @contextmanager
    def counting() -> Iterator[list[str]]:
        with app.app_context():
            engine = db.engine
        seen: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
                seen.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            yield seen
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def api_token(client, email: str, password: str = "motdepasse1") -> str:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.json
    return response.json["token"]
