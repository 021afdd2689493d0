"""`flask invoices …`: issue the commission invoices of a finished month."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from shopapp.core.clock import venue_today
from shopapp.core.transaction import commit
from shopapp.errors import DomainError
from shopapp.payments import invoices, statements

invoices_cli = AppGroup("invoices", help="Commission invoices.")


@invoices_cli.command("issue")
@click.option("--month", help="YYYY-MM, a finished month (default: last month).")
def issue_command(month: str | None) -> None:
    """Issue every shop's invoice for the month (those already issued are kept as they are)."""
    try:
        chosen = statements.parse_month(month, today=venue_today()) if month else invoices.previous_month()
        run = invoices.issue_month(chosen)
    except DomainError as exc:
        click.echo(exc.message, err=True)
        sys.exit(1)
    commit()
    for invoice in run.issued:
        click.echo(f"{invoice.display_number}\tshop {invoice.shop_id}\t{invoice.total_ttc_cents} cents TTC")
    for shop, reason in run.refused.items():
        click.echo(f"{shop}: {reason}", err=True)
    sys.exit(1 if run.refused else 0)
