"""`flask <group> <verb>` commands, registered from the factory."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from shopapp.association.setup import TownSetup, set_up_town
from shopapp.catalog.cli import catalog_cli
from shopapp.core.outbox import sweep
from shopapp.core.transaction import commit
from shopapp.dev.invariants import check_invariants
from shopapp.dev.seed import demo_accounts, seed_animations, seed_demo
from shopapp.errors import DomainError
from shopapp.orders.cli import orders_cli, venue_cli
from shopapp.orders.slots import generate_slots

dev_cli = AppGroup("dev", help="Demo and development helpers.")
outbox_cli = AppGroup("outbox", help="The transactional outbox.")


@dev_cli.command("seed")
def seed_command() -> None:
    """Seed the demo town (idempotent). Refused in production: its accounts share a published password."""
    if current_app.config["PROFILE"] == "production":
        raise click.ClickException("the demo town is never seeded in production (SHOPAPP_ENV=production)")

    created = seed_demo()
    # Pickup slots for the coming weeks (idempotent: the beat task keeps them ahead afterwards).
    slots = generate_slots(4)
    seed_animations()
    commit()
    click.echo("Demo town created." if created else "Demo town already present.")
    click.echo(f"{slots} new pickup slots.")
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


def register_cli(app: Flask) -> None:
    app.cli.add_command(catalog_cli)

    app.cli.add_command(venue_cli)
    app.cli.add_command(orders_cli)
    app.cli.add_command(dev_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(setup_command)
