"""The FEC export: 18 tab-separated columns in legal order, every entry balanced, totals equal to the
ledger; the chart of accounts from the settings page; who may download it."""

from __future__ import annotations

import csv
import io
from collections import defaultdict

from sqlalchemy import func, select, update

from shopapp.core.clock import utcnow
from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.payments import fec, ledger
from shopapp.payments.ledger import Posting
from shopapp.payments.models import MEMO_KINDS, LedgerEntry
from tests.conftest import csrf_token
from tests.payments.test_invoices import settle
from tests.support.order_rows import make_order_rows


def _cents(text: str) -> int:
    units, _, decimals = text.partition(",")
    return int(units) * 100 + int(decimals)


def _parse(text: str) -> list[dict[str, str]]:
    rows = list(csv.reader(io.StringIO(text), delimiter="\t"))
    assert rows[0] == list(fec.COLUMNS) and len(rows[0]) == 18
    assert all(len(row) == 18 for row in rows)
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _year_of_movements(app, make_shop) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Card and pay-at-pickup sales, a refund with commission and VAT given back, a payout, a reversal."""
    bakery, cheese = make_shop(), make_shop()
    card_part = settle(app, bakery, 1005)
    rows = make_order_rows(app, parts=[(cheese, 2000, 500)], method="at_pickup")
    with app.app_context():
        from_desk = [Posting(cheese, rows.part_ids[0], rows.order_id, kind, cents, "EUR", "settlement")
                     for kind, cents in (("pickup_receipt", 2000), ("commission", -100), ("commission_vat", -20))]
        ledger.post(from_desk)
        order_id = db.session.scalar(select(LedgerEntry.order_id).where(LedgerEntry.part_id == card_part))
        ledger.post([
            Posting(bakery, card_part, order_id, "payout", -884, "EUR", "payout"),
            Posting(bakery, card_part, order_id, "refund", -335, "EUR", "refund:1"),
            Posting(bakery, card_part, order_id, "commission", 34, "EUR", "refund:1"),
            Posting(bakery, card_part, order_id, "commission_vat", 7, "EUR", "refund:1"),
            Posting(bakery, card_part, order_id, "transfer_reversal", 294, "EUR", "refund:1"),
            Posting(bakery, card_part, order_id, "receivable", -1, "EUR", "refund:2"),  # memo: not exported
        ])
        # All in the current year, whatever today is (settle() dated the card sale last month).
        db.session.execute(update(LedgerEntry).values(created_at=utcnow().replace(month=6, day=15, hour=10)))
        commit()
    return bakery, cheese


def test_fec_parses_back_with_18_columns_balanced_entries_and_ledger_totals(app, make_shop):  # type: ignore[no-untyped-def]
    bakery, cheese = _year_of_movements(app, make_shop)
    year = utcnow().year
    with app.app_context():
        lines = _parse(fec.fec_text(year))
        ledger_total = int(db.session.scalar(select(func.sum(LedgerEntry.amount_cents))
                                             .where(LedgerEntry.kind.not_in([str(k) for k in MEMO_KINDS]))))
    by_entry: dict[str, list[dict[str, str]]] = defaultdict(list)
    for line in lines:
        by_entry[line["EcritureNum"]].append(line)
    for number, entry in by_entry.items():
        assert sum(_cents(li["Debit"]) for li in entry) == sum(_cents(li["Credit"]) for li in entry), number
        assert {li["JournalCode"] for li in entry} == {number[:2]}
        assert all(li["EcritureDate"] == f"{year}0615" == li["ValidDate"] for li in entry)
    # The shops' account holds, per shop, exactly the ledger's balance (memo kinds aside).
    shops = defaultdict(int)
    for line in lines:
        if line["CompteNum"] == "467000":
            shops[line["CompAuxNum"]] += _cents(line["Credit"]) - _cents(line["Debit"])
    with app.app_context():
        assert shops == {f"C{bakery:05d}": ledger.balance(bakery).balance_cents,
                         f"C{cheese:05d}": ledger.balance(cheese).balance_cents}
    assert sum(shops.values()) == ledger_total
    journals = {line["JournalCode"] for line in lines}
    assert journals == {"VC", "VR", "CO", "RB", "VE"}
    # Commission and its VAT of one settlement: one three-line entry in the commissions journal.
    commission_entries = [e for e in by_entry.values() if e[0]["JournalCode"] == "CO"]
    assert sorted(len(e) for e in commission_entries) == [4, 4, 4]
    revenue = sum(_cents(li["Credit"]) - _cents(li["Debit"]) for li in lines if li["CompteNum"] == "706000")
    vat = sum(_cents(li["Credit"]) - _cents(li["Debit"]) for li in lines if li["CompteNum"] == "445710")
    assert (revenue, vat) == (101 + 100 - 34, 20 + 20 - 7)


def test_chart_of_accounts_page_and_the_downloads(app, client, auth, make_user, make_shop):  # type: ignore[no-untyped-def]
    _year_of_movements(app, make_shop)
    year = utcnow().year
    make_user(email="admin@example.org", roles=("admin",))
    make_user(email="resident@example.org")
    auth.login("resident@example.org")
    assert client.get(f"/api/v1/association/exports/fec?year={year}").status_code == 403
    auth.logout()
    auth.login("admin@example.org")
    page = client.get("/association/comptabilite")
    assert page.status_code == 200 and "Plan comptable" in page.get_data(as_text=True)
    token = csrf_token(client, "/association/comptabilite")
    data = {f"number-{key}": number for key, (number, _label) in fec.DEFAULT_ACCOUNTS.items()}
    data |= {f"label-{key}": label for key, (_number, label) in fec.DEFAULT_ACCOUNTS.items()}
    bad = client.post("/association/comptabilite/plan", data={**data, "number-bank": "51A", "csrf_token": token})
    assert bad.status_code == 422 and "de 3 à 20 chiffres" in bad.get_data(as_text=True)
    good = client.post("/association/comptabilite/plan",
                       data={**data, "number-bank": "512100", "label-bank": "Crédit Coopératif", "csrf_token": token})
    assert good.status_code == 302
    api = client.get(f"/api/v1/association/exports/fec?year={year}")
    assert api.status_code == 200 and api.mimetype == "text/plain"
    lines = _parse(api.get_data(as_text=True))
    assert {(li["CompteNum"], li["CompteLib"]) for li in lines if li["JournalCode"] == "VE"} >= {
        ("512100", "Crédit Coopératif")}
    download = client.get(f"/association/comptabilite/fec?year={year}")
    assert download.status_code == 200 and "FEC" in download.headers["Content-Disposition"]
    bad_year = client.get("/api/v1/association/exports/fec?year=20x6")
    assert bad_year.status_code == 422 and bad_year.json["error"]["fields"] == {"year": "AAAA"}


def test_a_no_show_paid_to_its_shop_is_a_balanced_card_sale_in_the_fec(app, make_shop):  # type: ignore[no-untyped-def]
    """The "pay the shops" no-show policy: the part is settled as a card sale (VC) with its commission (CO);
    a no-show refunded in full posts nothing to the ledger, so nothing of it reaches the file."""
    from shopapp.orders.models import Order
    from shopapp.payments import settlement

    grocer, florist = make_shop(), make_shop()
    kept = make_order_rows(app, parts=[(grocer, 1299, 1000)], status="no_show")
    refunded = make_order_rows(app, parts=[(florist, 800, 1000)], status="no_show")
    with app.app_context():
        for rows, policy in ((kept, "pay_shops"), (refunded, "refund")):
            order = db.session.get(Order, rows.order_id)
            order.payment_status, order.paid_cents, order.no_show_policy = "paid", order.total_cents, policy
        db.session.get(Order, kept.order_id).parts[0].perishable_cents = 1299  # all of it perishable
        db.session.flush()
        assert settlement.settle_no_show_order(kept.order_id) == 1
        assert settlement.settle_no_show_order(kept.order_id) == 1  # a repeat posts nothing new
        assert settlement.settle_no_show_order(refunded.order_id) == 0
        db.session.execute(update(LedgerEntry).values(created_at=utcnow().replace(month=6, day=15, hour=10)))
        commit()
        lines = _parse(fec.fec_text(utcnow().year))
        grocer_balance = ledger.balance(grocer).balance_cents
    by_entry: dict[str, list[dict[str, str]]] = defaultdict(list)
    for line in lines:
        by_entry[line["EcritureNum"]].append(line)
    for number, entry in by_entry.items():
        assert sum(_cents(li["Debit"]) for li in entry) == sum(_cents(li["Credit"]) for li in entry), number
    assert {line["JournalCode"] for line in lines} == {"VC", "CO"}
    assert {line["CompAuxNum"] for line in lines if line["CompAuxNum"]} == {f"C{grocer:05d}"}
    shop_account = sum(_cents(li["Credit"]) - _cents(li["Debit"]) for li in lines if li["CompteNum"] == "467000")
    # 12,99 € at 10 %: commission 1,30 €, its VAT 0,26 €, 11,43 € owed to the shop.
    assert shop_account == grocer_balance == 1143


def test_a_no_show_fee_is_the_associations_income_in_its_own_balanced_entry(app, make_shop):  # type: ignore[no-untyped-def]
    """"Refund minus a fee": the fee kept is the association's income (NR journal): card receipts debited
    with the fee TTC, the fee account credited HT and collected VAT credited; no shop account moves.
    Recorded once per order, whatever the repeats."""
    from shopapp.orders.models import Order
    from shopapp.payments import no_show
    from shopapp.payments.models import NoShowFee

    grocer, florist = make_shop(), make_shop()
    fee_kept = make_order_rows(app, parts=[(grocer, 1299, 1000)], status="no_show")
    all_kept = make_order_rows(app, parts=[(florist, 199, 1000)], status="no_show")
    refunded = make_order_rows(app, parts=[(florist, 800, 1000)], status="no_show")
    with app.app_context():
        for rows, policy in ((fee_kept, "fee"), (all_kept, "fee"), (refunded, "refund")):
            order = db.session.get(Order, rows.order_id)
            order.payment_status, order.paid_cents, order.no_show_policy = "paid", order.total_cents, policy
        db.session.flush()
        for _repeat in range(2):
            assert no_show.record_fee(fee_kept.order_id, 250).amount_cents == 250
            assert no_show.record_fee(all_kept.order_id, 199).amount_cents == 199
            assert no_show.record_fee(refunded.order_id, 100) is None  # not the fee policy: nothing
        db.session.execute(update(NoShowFee).values(created_at=utcnow().replace(month=6, day=15, hour=10)))
        commit()
        assert db.session.scalar(select(func.count(NoShowFee.id))) == 2
        lines = _parse(fec.fec_text(utcnow().year))
    fee_lines = [li for li in lines if li["JournalCode"] == "NR"]
    by_entry: dict[str, list[dict[str, str]]] = defaultdict(list)
    for line in fee_lines:
        by_entry[line["EcritureNum"]].append(line)
    assert sorted(by_entry) == ["NR000001", "NR000002"]
    # 2,50 € with taxes at 20 %: VAT 0,42 € (2,50 × 20/120 = 0,4166… half-up), HT 2,08 €.
    # 1,99 €: VAT 0,33 € (0,3316…), HT 1,66 €.
    assert [(li["CompteNum"], _cents(li["Debit"]), _cents(li["Credit"])) for li in by_entry["NR000001"]] == [
        ("511200", 250, 0), ("708800", 0, 208), ("445710", 0, 42)]
    assert [(li["CompteNum"], _cents(li["Debit"]), _cents(li["Credit"])) for li in by_entry["NR000002"]] == [
        ("511200", 199, 0), ("708800", 0, 166), ("445710", 0, 33)]
    assert {li["PieceRef"] for li in by_entry["NR000001"]} == {fee_kept.number}
    assert all(li["EcritureDate"].endswith("0615") and not li["CompAuxNum"] for li in fee_lines)
    assert not [li for li in lines if li["CompteNum"] == "467000"]  # no shop was credited or debited
