"""Invoice pages, PDF and API: identities on their pages, issuing a month, credit notes, who sees what."""

from __future__ import annotations

from sqlalchemy import select

from shopapp.catalog.models import ShopStaff
from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.payments import invoices
from shopapp.payments.models import CommissionInvoice, LegalIdentity
from tests.conftest import csrf_token
from tests.payments.test_invoices import ASSOCIATION, last_month, settle, shop_identity, with_identities


def _admin(make_user, auth) -> None:  # type: ignore[no-untyped-def]
    make_user(email="admin@example.org", roles=("admin",))
    auth.login("admin@example.org")


def _keeper(app, make_user, auth, shop_id: int, email: str = "keeper@example.org") -> None:  # type: ignore[no-untyped-def]
    user_id = make_user(email=email, roles=("shopkeeper",))
    with app.app_context():
        db.session.add(ShopStaff(shop_id=shop_id, user_id=user_id))
        commit()
    auth.login(email)


def test_identity_pages_save_and_check_the_numbers(app, client, auth, make_user, make_shop):  # type: ignore[no-untyped-def]
    shop_id = make_shop()
    _keeper(app, make_user, auth, shop_id)
    page = client.get("/ma-boutique/shop-1/identite-legale")
    assert page.status_code == 200 and "À compléter" in page.get_data(as_text=True)
    token = csrf_token(client, "/ma-boutique/shop-1/identite-legale")
    bad = client.post("/ma-boutique/shop-1/identite-legale",
                      data={**shop_identity(1), "siret": "123", "vat_number": "44306", "csrf_token": token})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "14 chiffres" in text and "code du pays" in text
    good = client.post("/ma-boutique/shop-1/identite-legale",
                       data={**shop_identity(1), "siret": "443 061 841 00047", "vat_number": "fr 83443061841",
                             "csrf_token": token})
    assert good.status_code == 302
    with app.app_context():
        saved = db.session.scalar(select(LegalIdentity).where(LegalIdentity.shop_id == shop_id))
        assert (saved.siret, saved.vat_number) == ("44306184100047", "FR83443061841")


def test_admin_issues_a_month_then_a_credit_note_and_reads_the_api(app, client, auth, make_user, make_shop):  # type: ignore[no-untyped-def]
    shop_id = make_shop()
    settle(app, shop_id, 1005)
    _admin(make_user, auth)
    month = f"{last_month():%Y-%m}"
    token = csrf_token(client, "/association/factures")
    # No identities yet: nothing is issued and the page says what is missing.
    refused = client.post("/association/factures/emettre", data={"month": month, "csrf_token": token},
                          follow_redirects=True)
    assert "identité légale incomplète" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(CommissionInvoice.id)) is None
    token = csrf_token(client, "/association/identite-legale")
    assert client.post("/association/identite-legale", data={**ASSOCIATION, "csrf_token": token}).status_code == 302
    with_identities(app, shop_id)
    issued = client.post("/association/factures/emettre", data={"month": month, "csrf_token": token},
                         follow_redirects=True)
    assert "FA-000001" in issued.get_data(as_text=True)
    with app.app_context():
        invoice_id = db.session.scalar(select(CommissionInvoice.id))
    printable = client.get(f"/association/factures/{invoice_id}")
    assert printable.status_code == 200 and "Facture n° FA-000001" in printable.get_data(as_text=True)
    pdf = client.get(f"/association/factures/{invoice_id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")

    form = f"/association/factures/{invoice_id}/avoir"
    token = csrf_token(client, form)
    assert client.post(form, data={"reason": "", "csrf_token": token}).status_code == 422
    assert client.post(form, data={"reason": "trop", "amount_ht_cents": "5000", "csrf_token": token}).status_code == 422
    assert client.post(form, data={"reason": "Commande annulée", "amount_ht_cents": "50",
                                   "csrf_token": token}).status_code == 302

    api = client.get(f"/api/v1/association/invoices?month={month}")
    assert api.status_code == 200
    items = api.json["items"]
    assert [(i["number"], i["kind"], i["commission_cents"], i["vat_cents"], i["total_cents"]) for i in items] == [
        ("AV-000002", "credit_note", -50, -10, -60), ("FA-000001", "invoice", 101, 20, 121)]
    assert items[1]["shop"]["slug"] == "shop-1" and items[1]["url"].endswith(f"/association/factures/{invoice_id}.pdf")
    assert api.json["total"] == 2 and items[0]["credits_number"] == "FA-000001"
    bad = client.get("/api/v1/association/invoices?month=2026-13")
    assert bad.status_code == 422 and "error" in bad.json


def test_a_shop_sees_only_its_own_invoices(app, client, auth, make_user, make_shop):  # type: ignore[no-untyped-def]
    mine, theirs = make_shop(), make_shop()
    settle(app, mine, 1005)
    settle(app, theirs, 2000)
    with_identities(app, mine, theirs)
    with app.app_context():
        run = invoices.issue_month(last_month())
        commit()
        ids = {invoice.shop_id: invoice.id for invoice in run.issued}
    _keeper(app, make_user, auth, mine)
    listing = client.get("/ma-boutique/shop-1/factures")
    assert listing.status_code == 200 and "FA-000001" in listing.get_data(as_text=True)
    assert "FA-000002" not in listing.get_data(as_text=True)
    assert client.get(f"/ma-boutique/shop-1/factures/{ids[mine]}.pdf").data.startswith(b"%PDF")
    assert client.get(f"/ma-boutique/shop-1/factures/{ids[theirs]}").status_code == 404
    assert client.get(f"/ma-boutique/shop-2/factures/{ids[theirs]}").status_code == 404
    assert client.get("/association/factures").status_code == 403
    assert client.get("/api/v1/association/invoices").status_code == 403
