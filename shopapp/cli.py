"""`flask <group> <verb>` commands, registered from the factory."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from shopapp.association.setup import TownSetup, set_up_town
from shopapp.catalog.cli import catalog_cli
from shopapp.catalog.images import media_root
from shopapp.core.backup import BackupError, check_revision, create_backup, read_manifest, restore_backup
from shopapp.core.clock import utcnow
from shopapp.core.outbox import sweep
from shopapp.core.transaction import commit
from shopapp.dev.invariants import check_invariants
from shopapp.dev.pictures import seed_pictures
from shopapp.dev.seed import demo_accounts, seed_animations, seed_demo, seed_invoices, seed_standing_order
from shopapp.errors import DomainError
from shopapp.orders.cli import orders_cli, venue_cli
from shopapp.orders.slots import generate_slots
from shopapp.payments.cli import invoices_cli

dev_cli = AppGroup("dev", help="Demo and development helpers.")
outbox_cli = AppGroup("outbox", help="The transactional outbox.")
backup_cli = AppGroup("backup", help="Back up and restore the database and the uploaded images (PostgreSQL).")


@dev_cli.command("seed")
def seed_command() -> None:
    """Seed the demo town (idempotent). Refused in production: its accounts share a published password."""
    if current_app.config["PROFILE"] == "production":
        raise click.ClickException("the demo town is never seeded in production (SHOPAPP_ENV=production)")

    created = seed_demo()
    # Pickup slots for the coming weeks (idempotent: the beat task keeps them ahead afterwards).
    slots = generate_slots(4)
    seed_animations()
    # The demo resident's weekly basket, from the first Saturday slot just generated (idempotent).
    seed_standing_order()
    issued = seed_invoices()
    # Illustrations for the products and shops that have no picture yet (idempotent).
    pictures = seed_pictures()
    commit()
    click.echo("Demo town created." if created else "Demo town already present.")
    click.echo(f"{pictures} new pictures.")
    click.echo(f"{slots} new pickup slots.")
    if issued:
        click.echo(f"{issued} commission invoices issued for last month (/association/factures).")
    click.echo("Demo accounts (password demo1234):")
    for email, role in demo_accounts():
        click.echo(f"  {email:<32} {role}")


def _ask(value: str | None, flag: str, question: str) -> str:
    if value:
        return value
    if sys.stdin.isatty():
        return str(click.prompt(question))
    raise click.UsageError(f"missing {flag}")


@click.command("setup")
@with_appcontext
@click.option("--town", help="The town, e.g. Saint-Aubin-sur-Loire.")
@click.option("--venue-name", help="The venue where residents collect their orders.")
@click.option("--venue-address", help="The venue's postal address.")
@click.option("--timezone", default="Europe/Paris", show_default=True, help="The venue's time zone.")
@click.option("--admin-email", help="The association's first administrator.")
def setup_command(town: str | None, venue_name: str | None, venue_address: str | None, timezone: str,
                  admin_email: str | None) -> None:
    """Install a town: the venue, the default categories and the association's first admin (once).

    Non-interactive with flags; asks for what is missing when run in a terminal. Prints a one-time link
    for the admin to choose a password. Running it again changes nothing and says so.
    """
    data = TownSetup(
        town=_ask(town, "--town", "Ville"),
        venue_name=_ask(venue_name, "--venue-name", "Nom du lieu de retrait"),
        venue_address=_ask(venue_address, "--venue-address", "Adresse du lieu"),
        timezone=timezone,
        admin_email=_ask(admin_email, "--admin-email", "E-mail du premier administrateur"),
    )
    try:
        result = set_up_town(data)
    except DomainError as error:
        raise click.ClickException(error.message)
    commit()
    if not result.created:
        click.echo(f"Already set up ({result.venue_name}): nothing changed.")
        return
    click.echo(f"{result.venue_name} is set up, with the default categories and opening hours to adjust.")
    click.echo(f"Administrator: {result.admin_email}. Choose the password within the hour with this link (once):")
    click.echo(result.password_link)


@dev_cli.command("check-invariants")
def check_invariants_command() -> None:
    """Check stock, capacities, the ledger, payouts, Stripe events and the outbox; exit 1 on any violation."""

    violations = check_invariants()
    for violation in violations:
        click.echo(violation)
    if violations:
        raise SystemExit(1)
    click.echo("Invariants OK")


@outbox_cli.command("sweep")
def sweep_command() -> None:
    """Re-publish jobs left unsent or unfinished."""

    click.echo(sweep())


@backup_cli.command("create")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="The archive to write (default: backup-<UTC date and time>.tar.gz here).")
def backup_create_command(output: Path | None) -> None:
    """Write one .tar.gz archive: the database (pg_dump), the uploaded images and a manifest."""
    target = output or Path(f"backup-{utcnow().strftime('%Y%m%d-%H%M%S')}.tar.gz")
    try:
        manifest = create_backup(current_app.config["SQLALCHEMY_DATABASE_URI"], media_root(), target)
    except BackupError as error:
        raise click.ClickException(str(error))
    click.echo(f"Backup written to {target}: {manifest.summary()}")


def _known_revisions() -> set[str] | None:
    """The migration revisions this code knows, or None when its migrations folder cannot be read."""
    try:
        scripts = ScriptDirectory(current_app.extensions["migrate"].directory)
        return {script.revision for script in scripts.walk_revisions()}
    except CommandError:
        return None


@backup_cli.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Confirm: the database and the images are replaced by the archive's.")
def backup_restore_command(archive: Path, yes: bool) -> None:
    """Replace the database and the uploaded images with those of ARCHIVE (made by `backup create`)."""
    try:
        manifest = read_manifest(archive)
        click.echo(f"{archive.name}: {manifest.summary()}")
        check_revision(manifest, _known_revisions())
        if not yes:
            if not sys.stdin.isatty():
                raise click.ClickException("restoring replaces the database and the images: "
                                           "run again with --yes to confirm")
            click.confirm("Replace the database and the images with this backup?", abort=True)
        restore_backup(current_app.config["SQLALCHEMY_DATABASE_URI"], media_root(), archive)
    except BackupError as error:
        raise click.ClickException(str(error))
    click.echo("Restored. If the code is newer than the backup, run `flask db upgrade`.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(catalog_cli)

    app.cli.add_command(venue_cli)
    app.cli.add_command(orders_cli)
    app.cli.add_command(dev_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(invoices_cli)
    app.cli.add_command(setup_command)
