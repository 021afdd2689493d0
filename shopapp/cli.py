"""`flask <group> <verb>` commands, registered from the factory."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from shopapp.catalog.cli import catalog_cli
from shopapp.core.outbox import sweep
from shopapp.core.transaction import commit
from shopapp.dev.invariants import check_invariants
from shopapp.dev.seed import demo_accounts, seed_animations, seed_demo
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
