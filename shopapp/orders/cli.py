"""`flask venue slots --weeks N` and `flask orders mark-no-shows`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from shopapp.core.text import count_fr
from shopapp.core.transaction import commit
from shopapp.orders.fulfilment import mark_no_shows
from shopapp.orders.slots import generate_slots

venue_cli = AppGroup("venue", help="The venue: pickup slots.")
orders_cli = AppGroup("orders", help="Orders housekeeping.")


@venue_cli.command("slots")
@click.option("--weeks", default=4, show_default=True, type=click.IntRange(1, 52),
              help="How many weeks of slots to keep ahead.")
def slots_command(weeks: int) -> None:
    """Generate the pickup slots of the next WEEKS weeks from the venue's opening hours (idempotent)."""

    created = generate_slots(weeks)
    commit()
    click.echo(f"{count_fr(created, 'créneau créé', 'créneaux créés')} sur {count_fr(weeks, 'semaine', 'semaines')}.")


@orders_cli.command("mark-no-shows")
def mark_no_shows_command() -> None:
    """Mark ready orders not collected within the holding period as no-shows."""

    marked = mark_no_shows()
    commit()
    click.echo(f"{count_fr(marked, 'commande marquée non retirée', 'commandes marquées non retirées')}.")
