"""`flask backup create` / `flask backup restore`: the database and the uploaded images, round trip.

The round trip needs PostgreSQL and its client tools (the services backend); the embedded backend checks
that the commands refuse SQLite with a clear line. Archive checks that need no database run on both.
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select, text

from shopapp.catalog.images import media_root, store_image
from shopapp.core.backup import BackupError, create_backup, libpq_command_url, read_manifest
from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.orders.models import Order
from shopapp.payments import ledger
from shopapp.payments.ledger import Posting
from shopapp.payments.models import LedgerEntry, LedgerKind
from tests.conftest import IS_POSTGRES
from tests.support.images import png
from tests.support.order_rows import make_order_rows

needs_postgres = pytest.mark.skipif(
    not IS_POSTGRES or shutil.which("pg_dump") is None or shutil.which("pg_restore") is None,
    reason="backups dump and restore PostgreSQL with pg_dump/pg_restore: services backend only",
)


def _build_data(app: Any) -> None:
    """Two real orders with ledger postings on their parts, and one uploaded image."""
    for number, subtotal in (("AMC-B1", 2500), ("AMC-B2", 4200)):
        rows = make_order_rows(app, number=number, parts=[(None, subtotal, 1000)], method="at_pickup")
        with app.app_context():
            order = db.session.get(Order, rows.order_id)
            shop_id = order.parts[0].shop_id
            part_id = rows.part_ids[0]
            ledger.post([
                Posting(shop_id, part_id, rows.order_id, LedgerKind.SALE, subtotal, "EUR", "settlement"),
                Posting(shop_id, part_id, rows.order_id, LedgerKind.COMMISSION, -subtotal // 10, "EUR", "settlement"),
            ])
            commit()
    with app.app_context():
        store_image(png(320, 240), "products")


def _snapshot(app: Any) -> dict[str, Any]:
    with app.app_context():
        orders = [(o.number, o.status, o.total_cents, o.pickup_code, [p.subtotal_cents for p in o.parts])
                  for o in db.session.scalars(select(Order).order_by(Order.number))]
        entries = [(e.shop_id, e.part_id, e.order_id, e.kind, e.amount_cents, e.reference)
                   for e in db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))]
        root = media_root()
        images = {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
        db.session.remove()
    return {"orders": orders, "ledger": entries, "images": images}


def _drop_everything(app: Any) -> None:
    """What a lost server leaves: no tables at all, no images."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        assert inspect(db.engine).get_table_names() == []
        shutil.rmtree(media_root())
        db.engine.dispose()


@pytest.fixture
def migrated(app):  # type: ignore[no-untyped-def]
    """The tests build tables with create_all: stamp the database as `flask db upgrade` would, for this test."""
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('5b1f0c2d9e7a')"))
    yield "5b1f0c2d9e7a"
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@needs_postgres
def test_backup_then_restore_brings_back_orders_ledger_and_images(app, runner, tmp_path, migrated):  # type: ignore[no-untyped-def]
    _build_data(app)
    before = _snapshot(app)
    assert len(before["orders"]) == 2 and len(before["ledger"]) == 4 and before["images"]
    archive = tmp_path / "nightly.tar.gz"

    created = runner.invoke(args=["backup", "create", "--output", str(archive)])
    assert created.exit_code == 0, created.output
    assert "Backup written to" in created.output
    with tarfile.open(archive, "r:gz") as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert {"manifest.json", "database.dump"} <= set(names)
    assert {f"media/{name}" for name in before["images"]} <= set(names)
    assert manifest["counts"]["customer_order"] == 2 and manifest["counts"]["ledger_entry"] == 4
    assert manifest["media_files"] == len(before["images"])
    assert manifest["alembic_revision"] == migrated and manifest["created_at"]

    _drop_everything(app)

    restored = runner.invoke(args=["backup", "restore", str(archive), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "Restored" in restored.output
    with app.app_context():
        db.engine.dispose()
        with db.engine.connect() as conn:
            assert conn.scalar(text("SELECT version_num FROM alembic_version")) == migrated
    assert _snapshot(app) == before


@needs_postgres
def test_restore_without_yes_refuses_and_changes_nothing(app, runner, tmp_path):  # type: ignore[no-untyped-def]
    _build_data(app)
    archive = tmp_path / "backup.tar.gz"
    assert runner.invoke(args=["backup", "create", "--output", str(archive)]).exit_code == 0
    make_order_rows(app, number="AMC-AFTER", method="at_pickup")  # made after the backup
    with app.app_context():
        (media_root() / "later.jpg").write_bytes(b"after the backup")
    before = _snapshot(app)

    refused = runner.invoke(args=["backup", "restore", str(archive)])

    assert refused.exit_code == 1
    assert "run again with --yes" in refused.output
    assert "Traceback" not in refused.output
    assert _snapshot(app) == before


@needs_postgres
def test_damaged_archives_give_one_clear_line_and_change_nothing(app, runner, tmp_path):  # type: ignore[no-untyped-def]
    _build_data(app)
    good = tmp_path / "good.tar.gz"
    assert runner.invoke(args=["backup", "create", "--output", str(good)]).exit_code == 0
    before = _snapshot(app)
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"this is not an archive")
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    foreign = tmp_path / "foreign.tar.gz"
    with tarfile.open(foreign, "w:gz") as tar:
        payload = json.dumps({"format": "something-else", "version": 1}).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))

    for archive, message in ((garbage, "is not a readable .tar.gz backup archive"),
                             (truncated, "is damaged"),
                             (foreign, "manifest format unknown"),
                             (tmp_path / "missing.tar.gz", "no such file")):
        result = runner.invoke(args=["backup", "restore", str(archive), "--yes"])
        assert result.exit_code == 1, (archive.name, result.output)
        assert message in result.output, result.output
        assert "Traceback" not in result.output
        assert isinstance(result.exception, SystemExit)
    assert _snapshot(app) == before


@pytest.mark.skipif(IS_POSTGRES, reason="checks the refusal on the embedded (SQLite) backend")
def test_sqlite_installations_are_told_backups_are_for_postgresql(app, runner, tmp_path):  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["backup", "create", "--output", str(tmp_path / "b.tar.gz")])

    assert result.exit_code == 1
    assert "backups are for PostgreSQL installations; this one runs on sqlite" in result.output
    assert not (tmp_path / "b.tar.gz").exists()


def test_missing_pg_dump_is_one_clear_error(app, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(BackupError, match=r"^pg_dump is not installed"):
        create_backup("postgresql+psycopg://shop@127.0.0.1:1/shop", tmp_path / "media", tmp_path / "b.tar.gz")
    assert not (tmp_path / "b.tar.gz").exists()


@needs_postgres
def test_backup_create_without_pg_dump_says_so(app, runner, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))

    result = runner.invoke(args=["backup", "create", "--output", str(tmp_path / "b.tar.gz")])

    assert result.exit_code == 1
    assert result.output.strip() == "Error: pg_dump is not installed (PostgreSQL client tools are needed for backups)"


def test_a_backup_from_a_newer_version_is_refused_before_anything_changes(app, runner, tmp_path):  # type: ignore[no-untyped-def]
    archive = tmp_path / "newer.tar.gz"
    manifest = {"format": "adopte-mon-commercant-backup", "version": 1, "created_at": "2030-01-01T03:30:00+00:00",
                "alembic_revision": "fffffffffff0", "counts": {}, "media_files": 0}
    with tarfile.open(archive, "w:gz") as tar:
        payload = json.dumps(manifest).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))

    result = runner.invoke(args=["backup", "restore", str(archive), "--yes"])

    assert result.exit_code == 1
    assert "migration fffffffffff0, unknown to this version of the application" in result.output
    assert "Traceback" not in result.output


def test_the_password_goes_to_pg_dump_through_the_environment_not_the_command_line():
    url, env = libpq_command_url("postgresql+psycopg://shop:s3cret@db:5432/shop?sslmode=require")

    assert url == "postgresql://shop@db:5432/shop?sslmode=require"
    assert env["PGPASSWORD"] == "s3cret"


def test_an_archive_of_something_else_is_refused(tmp_path: Path):
    archive = tmp_path / "photos.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.addfile(tarfile.TarInfo("photo.jpg"), io.BytesIO(b""))

    with pytest.raises(BackupError, match=r"holds no manifest\.json"):
        read_manifest(archive)
