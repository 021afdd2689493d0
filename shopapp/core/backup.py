"""Backups of a PostgreSQL installation: the database and the uploaded images in one archive.

An archive is a `.tar.gz` holding `manifest.json` (what it is, when it was made, the database's alembic
revision and the row counts of a few tables), `database.dump` (`pg_dump --format=custom --no-owner`)
and `media/…` (the uploaded images). The counts and the dump read the same snapshot of the database.

Restoring replaces the database (`pg_restore --clean --if-exists --single-transaction`: all or nothing)
and then the media folder. Every failure is a `BackupError` carrying one line for the operator.

The embedded (SQLite) installation is a demo: backups are refused there with a line saying so.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, func, inspect, select, table, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from shopapp.core.clock import utcnow

FORMAT = "adopte-mon-commercant-backup"
VERSION = 1
MANIFEST_NAME = "manifest.json"
DUMP_NAME = "database.dump"
MEDIA_NAME = "media"
# Counted when the backup is made, shown before a restore: a quick way to see what an archive holds.
COUNTED_TABLES = ("user_account", "shop", "product", "customer_order", "order_part", "payment", "ledger_entry")


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is one line for the operator."""


@dataclass(frozen=True)
class Manifest:
    created_at: str
    alembic_revision: str | None
    counts: dict[str, int]
    media_files: int

    def as_json(self) -> bytes:
        return json.dumps({
            "format": FORMAT,
            "version": VERSION,
            "created_at": self.created_at,
            "alembic_revision": self.alembic_revision,
            "counts": self.counts,
            "media_files": self.media_files,
        }, indent=2, sort_keys=True).encode()

    @classmethod
    def parse(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise BackupError("not a backup archive: its manifest.json is not JSON")
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise BackupError("not a backup archive of this application (manifest format unknown)")
        if data.get("version") != VERSION:
            raise BackupError(f"backup archive version {data.get('version')!r} is not supported (expected {VERSION})")
        counts = data.get("counts")
        if not isinstance(data.get("created_at"), str) or not isinstance(counts, dict):
            raise BackupError("backup archive manifest is incomplete (created_at, counts)")
        return cls(created_at=data["created_at"], alembic_revision=data.get("alembic_revision"),
                   counts={str(k): int(v) for k, v in counts.items()}, media_files=int(data.get("media_files", 0)))

    def summary(self) -> str:
        counts = ", ".join(f"{table} {n}" for table, n in self.counts.items())
        return (f"made {self.created_at}, alembic revision {self.alembic_revision or 'none'}, "
                f"{self.media_files} image files; rows: {counts}")


# -- the database URL ---------------------------------------------------------------------------------


def _postgres_url(database_url: str) -> URL:
    try:
        url = make_url(database_url)
    except ArgumentError:
        raise BackupError("DATABASE_URL is not a database URL")
    if url.get_backend_name() != "postgresql":
        raise BackupError(f"backups are for PostgreSQL installations; this one runs on {url.get_backend_name()} "
                          "(the embedded demo): stop the app and copy its instance folder instead")
    return url


def libpq_command_url(database_url: str) -> tuple[str, dict[str, str]]:
    """The SQLAlchemy URL (`postgresql+psycopg://…`) as a libpq URL for pg_dump/pg_restore, and the
    environment carrying the password (kept off the command line, where `ps` would show it)."""
    url = _postgres_url(database_url)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    libpq = URL.create("postgresql", username=url.username, host=url.host, port=url.port, database=url.database,
                       query=url.query)
    return libpq.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (PostgreSQL client tools are needed for backups)")
    return path


def _run(command: list[str], env: dict[str, str]) -> None:
    tool = Path(command[0]).name
    try:
        # No shell: the tool's resolved path and arguments built here, the URL one argument among them.
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except OSError as error:
        raise BackupError(f"{tool} could not run: {error.strerror or error}")
    if result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        raise BackupError(f"{tool} failed: {lines[-1] if lines else f'exit status {result.returncode}'}")


# -- create -------------------------------------------------------------------------------------------


def _media_files(media_dir: Path) -> list[Path]:
    return sorted(p for p in media_dir.rglob("*") if p.is_file()) if media_dir.is_dir() else []


def create_backup(database_url: str, media_dir: Path, output: Path) -> Manifest:
    """Dump the database and archive it with the media folder into `output` (written whole or not at all).

    :raise BackupError: not PostgreSQL, pg_dump missing or failing, the output not writable.
    """
    command_url, env = libpq_command_url(database_url)
    pg_dump = _tool("pg_dump")
    output = output.resolve()
    if output.is_dir():
        raise BackupError(f"{output} is a folder: give the archive's file name")
    if not output.parent.is_dir():
        raise BackupError(f"folder {output.parent} does not exist")
    engine = create_engine(database_url)
    try:
        with tempfile.TemporaryDirectory(prefix=".backup-", dir=output.parent) as work:
            dump = Path(work) / DUMP_NAME
            # One snapshot for the counts and the dump: the manifest describes exactly what is dumped.
            with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
                conn.execute(text("SET TRANSACTION READ ONLY"))
                snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
                tables = set(inspect(conn).get_table_names())
                revision = (conn.scalar(text("SELECT version_num FROM alembic_version LIMIT 1"))
                            if "alembic_version" in tables else None)
                counts = {name: int(conn.scalar(select(func.count()).select_from(table(name))) or 0)
                          for name in COUNTED_TABLES if name in tables}
                _run([pg_dump, "--format=custom", "--no-owner", f"--snapshot={snapshot}", f"--file={dump}",
                      command_url], env)
            files = _media_files(media_dir)
            manifest = Manifest(created_at=utcnow().isoformat(timespec="seconds"), alembic_revision=revision,
                                counts=counts, media_files=len(files))
            partial = Path(work) / "archive.tar.gz"
            with tarfile.open(partial, "w:gz") as archive:
                info = tarfile.TarInfo(MANIFEST_NAME)
                payload = manifest.as_json()
                info.size, info.mtime, info.mode = len(payload), int(utcnow().timestamp()), 0o644
                archive.addfile(info, io.BytesIO(payload))
                archive.add(dump, arcname=DUMP_NAME)
                if media_dir.is_dir():
                    archive.add(media_dir, arcname=MEDIA_NAME)
            os.replace(partial, output)
    except SQLAlchemyError as error:
        cause = str(getattr(error, "orig", None) or error).strip().splitlines()
        raise BackupError(f"database unreachable: {cause[0] if cause else type(error).__name__}")
    except OSError as error:
        raise BackupError(f"cannot write the archive: {error.strerror or error} ({error.filename or output})")
    finally:
        engine.dispose()
    return manifest


def check_revision(manifest: Manifest, known_revisions: set[str] | None) -> None:
    """Refuse a backup whose migration revision this code does not know (made by a newer version):
    the restored schema would not match the code. `None` when the migrations cannot be read: no check.

    :raise BackupError: the revision is unknown here.
    """
    revision = manifest.alembic_revision
    if known_revisions is not None and revision is not None and revision not in known_revisions:
        raise BackupError(f"this backup's database is at migration {revision}, unknown to this version of the "
                          "application (made by a newer one?): deploy that version before restoring")


# -- restore ------------------------------------------------------------------------------------------


def _open(archive: Path) -> tarfile.TarFile:
    if not archive.is_file():
        raise BackupError(f"{archive}: no such file")
    try:
        return tarfile.open(archive, "r:gz")
    except (tarfile.TarError, OSError, EOFError):
        raise BackupError(f"{archive.name} is not a readable .tar.gz backup archive")


def read_manifest(archive: Path) -> Manifest:
    """The archive's manifest, checked.

    :raise BackupError: not a readable archive, no manifest, or a manifest of something else.
    """
    try:
        with _open(archive) as tar:
            try:
                member = tar.getmember(MANIFEST_NAME)
            except KeyError:
                raise BackupError(f"{archive.name} holds no {MANIFEST_NAME}: not a backup of this application")
            handle = tar.extractfile(member)
            if handle is None:
                raise BackupError(f"{archive.name}: {MANIFEST_NAME} is not a file")
            return Manifest.parse(handle.read())
    except (tarfile.TarError, OSError, EOFError):
        raise BackupError(f"{archive.name} is damaged: it cannot be read to the end")


def restore_backup(database_url: str, media_dir: Path, archive: Path) -> Manifest:
    """Replace the database and the media folder with the archive's.

    The whole archive is checked and unpacked first; the database is restored in one transaction (a
    failure leaves it as it was, and the images untouched); then the media folder is swapped for the
    archive's.

    :raise BackupError: a bad archive or manifest, pg_restore missing or failing.
    """
    command_url, env = libpq_command_url(database_url)
    pg_restore = _tool("pg_restore")
    manifest = read_manifest(archive)
    media_dir = media_dir.resolve()
    media_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix=".restore-", dir=media_dir.parent) as work:
            unpacked = Path(work)
            try:
                with _open(archive) as tar:
                    # The "data" filter refuses absolute paths, links out of the folder and special files.
                    tar.extractall(unpacked, filter="data")
            except (tarfile.TarError, OSError, EOFError) as error:
                raise BackupError(f"{archive.name} is damaged: {error}")
            dump = unpacked / DUMP_NAME
            if not dump.is_file():
                raise BackupError(f"{archive.name} holds no {DUMP_NAME}")
            _run([pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction",
                  f"--dbname={command_url}", str(dump)], env)
            restored = unpacked / MEDIA_NAME
            restored.mkdir(exist_ok=True)
            previous = unpacked / "previous-media"
            if media_dir.exists():
                os.replace(media_dir, previous)
            try:
                os.replace(restored, media_dir)
            except OSError:
                if previous.exists():
                    os.replace(previous, media_dir)
                raise
    except OSError as error:
        raise BackupError(f"cannot put the images back: {error.strerror or error} ({error.filename or media_dir})")
    return manifest
