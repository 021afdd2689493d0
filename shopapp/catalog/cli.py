"""`flask catalog …`: CSV import, benchmark data, search index."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from shopapp.catalog import generator, importer
from shopapp.catalog.models import Shop
from shopapp.catalog.search import install_search
from shopapp.core.text import count_fr
from shopapp.core.transaction import commit
from shopapp.extensions import db

catalog_cli = AppGroup("catalog", help="Catalogue : import CSV, données de test, index de recherche.")


@catalog_cli.command("import")
@click.argument("shop")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(shop: str, file: Path) -> None:
    """Create or update SHOP's products and stock from a CSV FILE (all or nothing)."""

    found = db.session.scalar(select(Shop).where(Shop.slug == shop))
    if found is None:
        raise click.ClickException(f"Boutique inconnue : {shop}")
    limit = importer.DEFAULT_MAX_BYTES
    if file.stat().st_size > limit:
        raise click.ClickException(
            f"Fichier trop volumineux : {limit // (1024 * 1024)} Mo au plus. Rien n'a été modifié."
        )
    data = file.read_bytes()
    try:
        rows, _existing = importer.check_file(found.id, data)
    except importer.ImportFailed as error:
        for row_error in error.errors:
            where = f"ligne {row_error.line}" if row_error.line else "fichier"
            column = f", colonne {row_error.column}" if row_error.column else ""
            click.echo(f"{where}{column} : {row_error.message}", err=True)
        raise click.ClickException(error.message)
    with click.progressbar(length=len(rows), label="Import") as bar:
        report = importer.import_products(found.id, data, progress=bar.update)
    commit()
    click.echo(f"{count_fr(report.created, 'créé', 'créés')}, {count_fr(report.updated, 'modifié', 'modifiés')}, "
               f"{count_fr(report.unchanged, 'inchangé', 'inchangés')}, "
               f"{count_fr(report.stock_changes, 'mouvement', 'mouvements')} de stock.")


@catalog_cli.command("generate")
@click.option("--seed", default=42, show_default=True)
@click.option("--shops", default=50, show_default=True)
@click.option("--products", default=10_000, show_default=True)
def generate_command(seed: int, shops: int, products: int) -> None:
    """Load the deterministic benchmark catalog (idempotent)."""

    dataset = generator.generate(seed=seed, shops=shops, products=products)
    with click.progressbar(length=len(dataset.products), label="Produits") as bar:
        created = generator.load(dataset, progress=bar.update)
    commit()
    click.echo("Catalogue généré." if created else "Catalogue déjà présent : rien n'a été modifié.")


@catalog_cli.command("reindex")
def reindex_command() -> None:
    """(Re)create the search index and its triggers, and fill it from the products."""

    install_search(db.engine)
    click.echo("Index de recherche reconstruit.")
