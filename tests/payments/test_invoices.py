"""Commission invoices: identities required, one continuous numbering (also under concurrency on
PostgreSQL), issued invoices never change, credit notes, PDF, and agreement with ledger and transfer."""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import select, update

from shopapp.catalog.models import Shop
from shopapp.core.clock import utcnow
from shopapp.core.transaction import commit
from shopapp.errors import ValidationFailed
from shopapp.extensions import db
from shopapp.payments import commission, invoices, ledger, pdf, statements
from shopapp.payments.models import CommissionInvoice, InvoiceImmutable, LedgerEntry
from tests.conftest import IS_POSTGRES
from tests.support.order_rows import make_order_rows

ASSOCIATION = {"name": "Association Adopte mon commerçant", "address": "3 place de la Halle, 45000 Saint-Aubin",
               "siret": "73282932000074", "vat_number": "FR44732829320"}


def shop_identity(n: int) -> dict[str, str]:
    return {"name": f"Boutique {n} SARL", "address": f"{n} rue du Marché, 45000 Saint-Aubin",
            "siret": "44306184100047", "vat_number": "FR83443061841"}


def pdf_info(data: bytes) -> dict[str, str]:
    """The document information strings of a PDF (literal, or UTF-16 in hex as WeasyPrint writes accents)."""
    found = {}
    for key, value in re.findall(rb"/(Title|Author|Subject)\s*(\([^)]*\)|<[0-9a-fA-F]*>)", data):
        raw = value[1:-1]
        text = bytes.fromhex(raw.decode())[2:].decode("utf-16-be") if value.startswith(b"<") else raw.decode("latin-1")
        found[key.decode()] = text
    return found


def last_month() -> date:
    return invoices.previous_month(utcnow().date())


def settle(app, shop_id: int, subtotal: int, rate: int = 1000, *, month: date | None = None) -> int:  # type: ignore[no-untyped-def]
    """Post a paid part's settlement in the given month (mid-month, noon UTC); returns the part id."""
    rows = make_order_rows(app, parts=[(shop_id, subtotal, rate)], method="card")
    part_id = rows.part_ids[0]
    day = (month or last_month()) + timedelta(days=14)
    with app.app_context():
        settlement = commission.settle_part(shop_id=shop_id, part_id=part_id, order_id=rows.order_id,
                                            amount_received_cents=subtotal, rate_bps=rate, currency="EUR",
                                            paid_at_pickup=False, vat_bps=2000)
        ledger.post(settlement.postings)
        db.session.execute(update(LedgerEntry).where(LedgerEntry.part_id == part_id)
                           .values(created_at=utcnow().replace(year=day.year, month=day.month, day=day.day, hour=12)))
        commit()
    return part_id


def with_identities(app, *shop_ids: int) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        invoices.save_identity(None, **ASSOCIATION)
        for shop_id in shop_ids:
            invoices.save_identity(shop_id, **shop_identity(shop_id))
        commit()


def test_identities_are_required_and_the_message_says_what_is_missing(app, make_shop):  # type: ignore[no-untyped-def]
    shop_id = make_shop()
    settle(app, shop_id, 1005)
    with app.app_context():
        with pytest.raises(invoices.IdentityMissing) as refused:
            invoices.issue_invoice(shop_id, last_month())
        assert "SIRET" in refused.value.message and "numéro de TVA intracommunautaire" in refused.value.message
        db.session.rollback()
        invoices.save_identity(None, **ASSOCIATION)
        invoices.save_identity(shop_id, **{**shop_identity(1), "siret": ""})
        with pytest.raises(invoices.IdentityMissing) as refused:
            invoices.issue_invoice(shop_id, last_month())
        assert "l'association" not in refused.value.message and "SIRET" in refused.value.message
        db.session.rollback()
        assert db.session.scalar(select(CommissionInvoice.id)) is None
        # The month's run reports the shop instead of failing the others.
        run = invoices.issue_month(last_month())
        assert run.issued == [] and list(run.refused) == ["Boutique 1"]


def test_monthly_invoice_matches_ledger_statement_and_transfer_to_the_cent(app, make_shop):  # type: ignore[no-untyped-def]
    shop_id = make_shop()
    parts = [settle(app, shop_id, 1005), settle(app, shop_id, 2000, 500), settle(app, shop_id, 999, 850)]
    with_identities(app, shop_id)
    with app.app_context():
        invoice = invoices.issue_invoice(shop_id, last_month())
        commit()
        # Commission HT 101 + 100 + 85 = 286; VAT 20 + 20 + 17 = 57 (per part, as withheld).
        assert (invoice.sales_cents, invoice.commission_ht_cents, invoice.vat_cents, invoice.total_ttc_cents) == (
            4004, 286, 57, 343)
        assert (invoice.number, invoice.display_number, invoice.kind) == (1, "FA-000001", "invoice")
        assert invoice.issue_date == utcnow().date() or abs((invoice.issue_date - utcnow().date()).days) <= 1
        assert (invoice.seller_siret, invoice.buyer_vat_number) == (ASSOCIATION["siret"], "FR83443061841")
        statement = statements.statement_for(db.session.get(Shop, shop_id), last_month())
        assert statement.commission_net_cents == invoice.commission_ht_cents
        assert statement.commission_vat_cents == invoice.vat_cents
        # What the transfers carry: received less the commission TTC, to the cent.
        owed = sum(ledger.part_balance(part) for part in parts)
        assert owed == invoice.sales_cents - invoice.total_ttc_cents == 3661
        # Issuing again returns the same invoice and takes no number.
        assert invoices.issue_invoice(shop_id, last_month()).id == invoice.id
        assert invoices.issue_month(last_month()).issued == [invoice]
        assert db.session.scalar(select(CommissionInvoice.number).order_by(
            CommissionInvoice.number.desc())) == 1


def test_current_month_cannot_be_invoiced(app, make_shop):  # type: ignore[no-untyped-def]
    shop_id = make_shop()
    with_identities(app, shop_id)
    with app.app_context(), pytest.raises(ValidationFailed):
        invoices.issue_invoice(shop_id, utcnow().date().replace(day=1) + timedelta(days=40))


def test_an_issued_invoice_cannot_be_edited_nor_deleted(app, make_shop):  # type: ignore[no-untyped-def]
    shop_id = make_shop()
    settle(app, shop_id, 1005)
    with_identities(app, shop_id)
    with app.app_context():
        invoice = invoices.issue_invoice(shop_id, last_month())
        commit()
        invoice.commission_ht_cents = 1
        with pytest.raises(InvoiceImmutable):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(InvoiceImmutable):
            db.session.delete(db.session.get(CommissionInvoice, invoice.id))
            db.session.flush()
        db.session.rollback()
        # A changed identity does not touch the issued invoice.
        invoices.save_identity(shop_id, **{**shop_identity(1), "address": "ailleurs"})
        commit()
        assert db.session.get(CommissionInvoice, invoice.id).buyer_address == shop_identity(shop_id)["address"]


def test_credit_notes_share_the_sequence_and_reference_the_invoice(app, make_shop):  # type: ignore[no-untyped-def]
    first, second = make_shop(), make_shop()
    settle(app, first, 1005)
    settle(app, second, 5000)
    with_identities(app, first, second)
    with app.app_context():
        one = invoices.issue_invoice(first, last_month())
        two = invoices.issue_invoice(second, last_month())
        commit()
        with pytest.raises(ValidationFailed):
            invoices.issue_credit_note(two.id, reason="   ")
        partial = invoices.issue_credit_note(two.id, reason="Commande annulée après facture", commission_ht_cents=100)
        commit()
        assert (partial.number, partial.display_number, partial.credits_invoice_id) == (3, "AV-000003", two.id)
        assert (partial.commission_ht_cents, partial.vat_cents, partial.total_ttc_cents) == (-100, -20, -120)
        rest = invoices.issue_credit_note(two.id, reason="Annulation du solde")
        commit()
        assert (rest.number, rest.commission_ht_cents, rest.vat_cents) == (4, -400, -80)
        assert two.commission_ht_cents + partial.commission_ht_cents + rest.commission_ht_cents == 0
        with pytest.raises(ValidationFailed):
            invoices.issue_credit_note(two.id, reason="encore")
        db.session.rollback()
        with pytest.raises(ValidationFailed):
            invoices.issue_credit_note(rest.id, reason="avoir d'avoir")
        db.session.rollback()
        numbers = sorted(db.session.scalars(select(CommissionInvoice.number)))
        assert numbers == [1, 2, 3, 4] and one.number == 1


def test_a_rolled_back_issue_gives_its_number_back(app, make_shop):  # type: ignore[no-untyped-def]
    first, second = make_shop(), make_shop()
    settle(app, first, 1005)
    settle(app, second, 1005)
    with_identities(app, first, second)
    with app.app_context():
        assert invoices.issue_invoice(first, last_month()).number == 1
        db.session.rollback()
        assert invoices.issue_invoice(second, last_month()).number == 1
        commit()


def test_the_pdf_is_a_real_pdf_with_the_number(app, make_shop):  # type: ignore[no-untyped-def]
    shop_id = make_shop()
    settle(app, shop_id, 1005)
    with_identities(app, shop_id)
    with app.app_context(), app.test_request_context():
        invoice = invoices.issue_invoice(shop_id, last_month())
        commit()
        data = pdf.invoice_pdf(invoice)
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    # It parses as far as its structure goes: startxref points at the cross-reference table.
    offset = int(data.rstrip().rsplit(b"startxref", 1)[1].split()[0])
    assert data[offset:offset + 4] == b"xref"
    assert b"/Type /Page" in data
    info = pdf_info(data)
    assert info["Title"] == "Facture n° FA-000001"
    assert ASSOCIATION["siret"] in info["Subject"] and shop_identity(1)["siret"] in info["Subject"]


@pytest.mark.postgres
@pytest.mark.skipif(not IS_POSTGRES, reason="needs PostgreSQL row locks and concurrent transactions")
def test_two_invoices_issued_at_once_keep_the_numbers_continuous(app, make_shop):  # type: ignore[no-untyped-def]
    shops = [make_shop() for _ in range(6)]
    for shop_id in shops:
        settle(app, shop_id, 1005)
    with_identities(app, *shops)
    barrier = threading.Barrier(len(shops) + 2)
    outcomes: list[int] = []
    lock = threading.Lock()

    def issue(shop_id: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                number = invoices.issue_invoice(shop_id, last_month()).number
                commit()
            finally:
                db.session.remove()
        with lock:
            outcomes.append(number)

    # Every shop once, and the first shop twice more at the same moment: still one invoice for it.
    threads = [threading.Thread(target=issue, args=(shop_id,)) for shop_id in [*shops, shops[0], shops[0]]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with app.app_context():
        rows = db.session.execute(select(CommissionInvoice.number, CommissionInvoice.shop_id)).all()
    assert sorted(number for number, _ in rows) == list(range(1, len(shops) + 1))
    assert sorted(shop for _, shop in rows) == sorted(shops)
    assert len(outcomes) == len(shops) + 2


def test_month_run_with_time_machine_issues_last_month(app, make_shop):  # type: ignore[no-untyped-def]
    shop_id = make_shop()
    month = last_month()
    settle(app, shop_id, 1005, month=month)
    with_identities(app, shop_id)
    # Two days into the next month, the run of "last month" is the month settled above.
    following = date(month.year + (month.month == 12), month.month % 12 + 1, 2)
    with time_machine.travel(f"{following.isoformat()} 06:00:00+00:00", tick=False), app.app_context():
        assert invoices.previous_month() == month
        run = invoices.issue_month(invoices.previous_month())
        commit()
        assert [invoice.shop_id for invoice in run.issued] == [shop_id]
