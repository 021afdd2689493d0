"""Payment-related pages: checkout offers the card, statements, commissions, onboarding, CSP, banner."""

from __future__ import annotations

from datetime import datetime

from shopapp.catalog.models import Shop, ShopStaff
from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.payments.models import LedgerEntry
from tests.conftest import csrf_token, text_of
from tests.support.order_rows import make_order_rows


def test_test_mode_banner_and_csp_allow_localstripe_js(app, client, localstripe):  # type: ignore[no-untyped-def]
    response = client.get("/")
    assert "Mode test — aucun paiement réel" in text_of(response)
    csp = response.headers["Content-Security-Policy"]
    assert f"script-src 'self' {localstripe.api_base}" in csp and f"connect-src 'self' {localstripe.api_base}" in csp


def test_no_banner_without_stripe(app, client):  # type: ignore[no-untyped-def]
    response = client.get("/")
    assert "Mode test" not in text_of(response)
    assert "script-src 'self';" in response.headers["Content-Security-Policy"]


def test_statement_page_csv_and_invoice_for_own_shop_only(app, client, auth, world, make_user):  # type: ignore[no-untyped-def]
    mine = world.shop("Boulangerie", keeper="boulanger@example.org")
    other = world.shop("Fromagerie")
    with app.app_context():
        slug, other_slug = db.session.get(Shop, mine).slug, db.session.get(Shop, other).slug
    auth.login("boulanger@example.org")
    assert client.get(f"/ma-boutique/{slug}/releves?month=2026-03").status_code == 200
    csv = client.get(f"/ma-boutique/{slug}/releves.csv?month=2026-03")
    assert csv.status_code == 200 and csv.data.decode().startswith("date;commande;part;type")
    # The month's unnumbered printout gave way to the numbered invoices.
    old_invoice = client.get(f"/ma-boutique/{slug}/releves/facture?month=2026-03")
    assert old_invoice.status_code == 302 and old_invoice.location.endswith(f"/ma-boutique/{slug}/factures")
    assert client.get(f"/ma-boutique/{slug}/factures").status_code == 200
    assert client.get(f"/ma-boutique/{other_slug}/factures").status_code == 404
    assert client.get(f"/ma-boutique/{other_slug}/releves").status_code == 404
    assert client.get(f"/ma-boutique/{slug}/releves?month=mars").status_code == 422


def test_a_statement_lists_the_orders_behind_each_total(app, client, auth, world, make_user):  # type: ignore[no-untyped-def]
    mine = world.shop("Boulangerie", keeper="boulanger@example.org")
    first = make_order_rows(app, number="AMC-0001", parts=[(mine, 2500, 1000)])
    second = make_order_rows(app, number="AMC-0002", parts=[(mine, 1200, 1000)])
    march = datetime(2026, 3, 10, 12)
    with app.app_context():
        slug = db.session.get(Shop, mine).slug
        for rows, sale, fee in ((first, 2500, -250), (second, 1200, -120)):
            for kind, cents in (("sale", sale), ("commission", fee)):
                db.session.add(LedgerEntry(shop_id=mine, part_id=rows.part_ids[0], order_id=rows.order_id, kind=kind,
                                           amount_cents=cents, reference=f"test-{kind}-{rows.number}",
                                           created_at=march))
        db.session.add(LedgerEntry(shop_id=mine, part_id=first.part_ids[0], order_id=first.order_id,
                                   kind="refund", amount_cents=-500, reference="test-refund", created_at=march))
        commit()
    auth.login("boulanger@example.org")

    page = text_of(client.get(f"/ma-boutique/{slug}/releves?month=2026-03"))

    assert "Relevé mars 2026" in page
    behind = page.split("Les commandes derrière chaque total")[1]
    sales = behind.split("<details")[1]
    assert "2 commandes" in sales and sales.index("AMC-0001") < sales.index("AMC-0002")
    assert "25,00" in sales and "12,00" in sales and "37,00" in sales
    refunds = next(block for block in behind.split("<details")[1:] if "Remboursements" in block)
    assert "1 commande" in refunds and "AMC-0001" in refunds and "AMC-0002" not in refunds
    empty = text_of(client.get(f"/ma-boutique/{slug}/releves?month=2026-04"))
    assert "Aucune opération ce mois-ci." in empty


def test_association_records_account_and_gets_onboarding_link(app, client, auth, world, make_user,
                                                             connect_fake):  # type: ignore[no-untyped-def]
    shop_id = world.shop("Boulangerie")
    account = connect_fake.add_account()
    make_user(email="admin@example.org", roles=("admin",))
    auth.login("admin@example.org")
    page = f"/association/commerces/{shop_id}/versements"

    bad = client.post(page, data={"csrf_token": csrf_token(client, page), "account_id": "nope"})
    saved = client.post(page, data={"csrf_token": csrf_token(client, page), "account_id": account})
    link = client.post(page, data={"csrf_token": csrf_token(client, page), "action": "link"})

    assert bad.status_code == 422 and saved.status_code == 302
    assert link.status_code == 200 and "http" in text_of(link)
    with app.app_context():
        assert db.session.get(Shop, shop_id).stripe_account_id == account
    assert client.get("/association/commissions").status_code == 200


def test_staff_of_nothing_cannot_see_statements(app, client, auth, world, make_user):  # type: ignore[no-untyped-def]
    shop_id = world.shop("Boulangerie")
    keeper = make_user(email="k@example.org", roles=("shopkeeper",))
    with app.app_context():
        db.session.add(ShopStaff(shop_id=world.shop("Autre"), user_id=keeper))
        commit()
        slug = db.session.get(Shop, shop_id).slug
    auth.login("k@example.org")
    assert client.get(f"/ma-boutique/{slug}/releves").status_code == 404
