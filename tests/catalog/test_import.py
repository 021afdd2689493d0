"""CSV import: encodings, separators, French decimals, all-or-nothing, idempotent, CLI and page."""

from __future__ import annotations

import io

import pytest

from tests.conftest import csrf_token, text_of

HEADER = "sku;nom;prix;unité;catégorie;tva;labels;stock\n"
GOOD = HEADER + (
    "PAI-1;Pain complet;3,80;pièce;Pains;5,5;bio|local;12\n"
    "PAI-2;Brioche tressée;1 234,50 €;pièce;pains;5,5;;4\n"
    "CRE-1;Crème fraîche;2,9;pot;Crèmerie;5.5 %;;0\n"
)


@pytest.fixture
def shop(catalog, make_user):  # type: ignore[no-untyped-def]
    catalog.category("pains", "Pains")
    catalog.category("cremerie", "Crèmerie")
    alice = make_user(email="alice@example.org", roles=("shopkeeper",))
    return catalog.shop("boutique-a", "Boutique A", staff=(alice,))


def _import(app, shop_id, data):  # type: ignore[no-untyped-def]
    from shopapp.catalog import importer
    from shopapp.core.transaction import commit
    from shopapp.extensions import db

    with app.app_context():
        try:
            report = importer.import_products(shop_id, data)
        except importer.ImportFailed as error:
            db.session.rollback()
            return error
        commit()
        return report


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("separator", [";", ","])
def test_import_creates_products_in_any_encoding_and_separator(app, catalog, shop, encoding, separator):
    text = GOOD if separator == ";" else (
        'sku,nom,prix,unité,catégorie,tva,labels,stock\n'
        'PAI-1,Pain complet,"3,80",pièce,Pains,"5,5",bio|local,12\n'
        'PAI-2,Brioche tressée,"1 234,50 €",pièce,pains,"5,5",,4\n'
        'CRE-1,Crème fraîche,"2,9",pot,Crèmerie,5.5 %,,0\n')

    report = _import(app, shop, text.encode(encoding))

    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    rows = {row[2]: row for row in catalog.snapshot()}
    assert (rows["PAI-1"][3], rows["PAI-1"][4], rows["PAI-1"][9], rows["PAI-1"][11]) == (
        "Pain complet", 380, ("bio", "local"), 12)
    assert rows["PAI-2"][4] == 123450
    assert (rows["CRE-1"][3], rows["CRE-1"][4], rows["CRE-1"][7]) == ("Crème fraîche", 290, "pot")


def test_importing_the_same_file_twice_changes_nothing(app, catalog, shop):
    _import(app, shop, GOOD.encode())
    before, movements = catalog.snapshot(), catalog.movements()

    again = _import(app, shop, GOOD.encode())

    assert (again.created, again.updated, again.unchanged, again.stock_changes) == (0, 0, 3, 0)
    assert catalog.snapshot() == before and catalog.movements() == movements


def test_import_updates_by_sku(app, catalog, shop):
    _import(app, shop, GOOD.encode())

    report = _import(app, shop, (HEADER + "PAI-1;Pain complet;4,10;pièce;Pains;5,5;bio|local;9\n").encode())

    assert (report.created, report.updated, report.stock_changes) == (0, 1, 1)
    row = next(r for r in catalog.snapshot() if r[2] == "PAI-1")
    assert (row[4], row[11]) == (410, 9)


@pytest.mark.parametrize(("content", "expected"), [
    (HEADER + "PAI-1;Pain;trois euros;pièce;Pains;5,5;;1\n", [(2, "prix")]),
    (HEADER + "PAI-1;Pain;3,805;pièce;Pains;5,5;;1\n", [(2, "prix")]),
    (HEADER + "PAI-1;Pain;-1;pièce;Pains;5,5;;1\n", [(2, "prix")]),
    (HEADER + "PAI-1;Pain;3;pièce;Boucherie;5,5;;1\n", [(2, "catégorie")]),
    (HEADER + "PAI-1;Pain;3;pièce;Pains;7;;1\n", [(2, "tva")]),
    (HEADER + "PAI-1;Pain;3;pièce;Pains;5,5;;-4\n", [(2, "stock")]),
    (HEADER + "PAI-1;Pain;3;pièce;Pains;5,5;;1\nPAI-1;Pain bis;3;pièce;Pains;5,5;;1\n", [(3, "sku")]),
    ("sku;nom;unité;tva\nPAI-1;Pain;pièce;5,5\n", [(1, "prix")]),
    ("sku;nom;prix;tva;couleur\nPAI-1;Pain;3;5,5;rouge\n", [(1, "couleur")]),
])
def test_invalid_rows_are_reported_and_nothing_is_written(app, catalog, shop, content, expected):
    valid_first = HEADER + "OK-1;Valide;1;pièce;Pains;5,5;;1\n"
    lines = content.split("\n")
    content = content if lines[0] != HEADER.strip() else valid_first + "\n".join(lines[1:])
    expected = [(line + 1 if line > 1 and lines[0] == HEADER.strip() else line, col) for line, col in expected]

    error = _import(app, shop, content.encode())

    assert [(e.line, e.column) for e in error.errors] == expected
    assert error.message.startswith("Import refusé")
    assert catalog.snapshot() == [] and catalog.movements() == []


@pytest.mark.parametrize("data", [
    GOOD.encode("utf-16"),
    HEADER.encode() + b"PAI-1;Pain \x81;3;pi\xe8ce;Pains;5,5;;1\n",
    b"",
])
def test_wrong_encoding_or_empty_file_is_refused(app, catalog, shop, data):
    error = _import(app, shop, data)

    assert error.errors and error.errors[0].line == 0
    assert catalog.snapshot() == []


def test_a_50_mb_file_is_refused_with_nothing_written(app, catalog, shop):
    big = (HEADER + "PAI-1;Pain;3;pièce;Pains;5,5;;1\n" * 1).encode() + b"#" * (50 * 1024 * 1024)

    error = _import(app, shop, big)

    assert "trop volumineux" in error.errors[0].message
    assert catalog.snapshot() == []


def test_cli_import_with_progress_and_errors(app, runner, catalog, shop, tmp_path):
    good = tmp_path / "produits.csv"
    good.write_bytes(GOOD.encode("cp1252"))
    bad = tmp_path / "faux.csv"
    bad.write_bytes((HEADER + "PAI-9;Pain;abc;pièce;Pains;5,5;;1\n").encode())

    refused = runner.invoke(args=["catalog", "import", "boutique-a", str(bad)])
    done = runner.invoke(args=["catalog", "import", "boutique-a", str(good)])
    again = runner.invoke(args=["catalog", "import", "boutique-a", str(good)])

    assert refused.exit_code == 1 and "ligne 2, colonne prix : Prix invalide" in refused.output
    assert done.exit_code == 0 and "3 créés, 0 modifié, 0 inchangé" in done.output
    assert again.exit_code == 0 and "0 créé, 0 modifié, 3 inchangés, 0 mouvement de stock." in again.output
    assert len(catalog.snapshot()) == 3


def test_cli_refuses_a_50_mb_file(runner, catalog, shop, tmp_path):
    big = tmp_path / "gros.csv"
    big.write_bytes(HEADER.encode() + b"x" * (50 * 1024 * 1024))

    result = runner.invoke(args=["catalog", "import", "boutique-a", str(big)])

    assert result.exit_code == 1 and "trop volumineux" in result.output
    assert catalog.snapshot() == []


def test_upload_page_reports_row_errors(client, auth, catalog, shop):
    auth.login("alice@example.org")
    token = csrf_token(client, "/ma-boutique/boutique-a/import")
    content = (HEADER + "PAI-1;Pain;3,80;pièce;Pains;5,5;;1\nPAI-2;Pain;gratuit;pièce;Pains;5,5;;1\n").encode()

    refused = client.post("/ma-boutique/boutique-a/import", content_type="multipart/form-data",
                          data={"csrf_token": token, "file": (io.BytesIO(content), "produits.csv")})
    accepted = client.post("/ma-boutique/boutique-a/import", content_type="multipart/form-data",
                           data={"csrf_token": token, "file": (io.BytesIO(GOOD.encode()), "produits.csv")})

    assert refused.status_code == 422
    assert "Prix invalide : « gratuit »" in text_of(refused) and "rien n'a été modifié" in text_of(refused)
    assert accepted.status_code == 200 and "3 créés, 0 modifiés, 0 inchangés" in text_of(accepted)
    assert len(catalog.snapshot()) == 3


def test_upload_page_refuses_a_50_mb_file(client, auth, catalog, shop):
    auth.login("alice@example.org")
    token = csrf_token(client, "/ma-boutique/boutique-a/import")

    response = client.post("/ma-boutique/boutique-a/import", content_type="multipart/form-data",
                           data={"csrf_token": token, "file": (io.BytesIO(b"x" * (50 * 1024 * 1024)), "gros.csv")})

    assert response.status_code == 413 and "dépasse la taille autorisée" in text_of(response)
    assert catalog.snapshot() == []
