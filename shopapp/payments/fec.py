"""The association's year as a FEC file (Fichier des écritures comptables, article A47 A-1 du LPF).

Built from the ledger: each posting is one movement between a shop's account (a sub-account of the
shops' account, its auxiliary number per shop) and the account its kind moves (bank, cash, commission,
VAT…), so every entry balances by construction. One journal per kind of movement. The account numbers
and labels come from the association's small chart of accounts (`AccountingAccount`, defaults below,
editable on the settings page). Amounts with a decimal comma, dates as YYYYMMDD, tab-separated, UTF-8.
Memo postings (receivables) move no money and are left out, so the file's totals equal the ledger's.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from shopapp.catalog.models import Shop
from shopapp.core.clock import venue_zone
from shopapp.errors import ValidationFailed
from shopapp.extensions import db
from shopapp.members.models import FeeMethod
from shopapp.members.services import fees_of_year
from shopapp.orders.models import Order
from shopapp.payments import no_show
from shopapp.payments.models import MEMO_KINDS, AccountingAccount, LedgerEntry, LedgerKind

COLUMNS = ("JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum",
           "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit", "EcritureLet", "DateLet",
           "ValidDate", "Montantdevise", "Idevise")

# key → (default number, default label): the small chart of accounts.
DEFAULT_ACCOUNTS: dict[str, tuple[str, str]] = {
    "shops": ("467000", "Commerces adhérents (sommes encaissées pour leur compte)"),
    "card": ("511200", "Paiements par carte à encaisser (Stripe)"),
    "cash": ("530000", "Caisse du comptoir"),
    "bank": ("512000", "Banque"),
    "commission": ("706000", "Commissions sur ventes"),
    "vat": ("445710", "TVA collectée"),
    "membership": ("756000", "Cotisations des membres"),
    "no_show_fee": ("708800", "Frais de commandes non retirées"),
}
# The members' yearly fees, received at the desk: the association's own income, outside the shops' ledger.
MEMBERSHIP_JOURNAL = ("AD", "Cotisations des membres")
# The fee kept on a card-paid order nobody collected: the association's income, VAT included (payments/no_show.py).
NO_SHOW_FEE_JOURNAL = ("NR", "Frais de commandes non retirées")

# kind → (journal code, journal label, counterpart account key, entry label).
JOURNALS: dict[str, tuple[str, str, str, str]] = {
    LedgerKind.SALE: ("VC", "Ventes payées par carte", "card", "Vente carte"),
    LedgerKind.PICKUP_RECEIPT: ("VR", "Ventes payées au retrait", "cash", "Vente au retrait"),
    LedgerKind.COMMISSION: ("CO", "Commissions", "commission", "Commission HT"),
    LedgerKind.COMMISSION_VAT: ("CO", "Commissions", "vat", "TVA sur commission"),
    LedgerKind.REFUND: ("RB", "Remboursements", "card", "Remboursement"),
    LedgerKind.PAYOUT: ("VE", "Versements aux commerces", "bank", "Versement"),
    LedgerKind.TRANSFER_REVERSAL: ("VE", "Versements aux commerces", "bank", "Reprise sur versement"),
}


def chart() -> dict[str, tuple[str, str]]:
    """The chart in force: the recorded accounts over the defaults."""
    accounts = dict(DEFAULT_ACCOUNTS)
    for row in db.session.scalars(select(AccountingAccount)):
        accounts[row.key] = (row.number, row.label)
    return accounts


def save_chart(numbers: dict[str, tuple[str, str]]) -> None:
    """Record the chart's numbers and labels (keys of DEFAULT_ACCOUNTS). Flushes."""
    existing = {row.key: row for row in db.session.scalars(select(AccountingAccount))}
    for key, (number, label) in numbers.items():
        if key not in DEFAULT_ACCOUNTS:
            continue
        row = existing.get(key) or AccountingAccount(key=key)
        row.number, row.label = number.strip(), label.strip()
        db.session.add(row)
    db.session.flush()


def parse_year(value: str | None, *, today: date) -> int:
    if not value:
        return today.year
    if not (value.isdigit() and len(value) == 4 and 2000 <= int(value) <= 2999):
        raise ValidationFailed(str(_l("Année invalide (AAAA).")), fields={"year": "AAAA"})
    return int(value)


def _amount(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


@dataclass(frozen=True)
class FecLine:
    journal: str
    journal_label: str
    number: str
    day: date
    account: str
    account_label: str
    aux: str
    aux_label: str
    piece: str
    label: str
    debit: int
    credit: int


def fec_lines(year: int) -> list[FecLine]:
    """The year's lines (venue time), entry by entry, each entry balanced."""
    zone = venue_zone()

    def utc(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)

    rows = db.session.execute(
        select(LedgerEntry, Shop.name, Order.number, Order.payment_method)
        .join(Shop, Shop.id == LedgerEntry.shop_id).join(Order, Order.id == LedgerEntry.order_id)
        .where(LedgerEntry.created_at >= utc(date(year, 1, 1)), LedgerEntry.created_at < utc(date(year + 1, 1, 1)),
               LedgerEntry.kind.not_in([str(k) for k in MEMO_KINDS]))
        .order_by(LedgerEntry.created_at, LedgerEntry.id)
    ).all()
    accounts = chart()
    # One entry per (journal, part, reference): the commission and its VAT make one three-line entry.
    entries: dict[tuple[str, int, str], list[tuple[LedgerEntry, str, str, str]]] = defaultdict(list)
    for entry, shop_name, order_number, method in rows:
        entries[(JOURNALS[entry.kind][0], entry.part_id, entry.reference)].append(
            (entry, shop_name, order_number, method))
    counters: dict[str, int] = defaultdict(int)
    lines: list[FecLine] = []
    for (journal, _part, _reference), group in entries.items():
        counters[journal] += 1
        number = f"{journal}{counters[journal]:06d}"
        first = group[0][0]
        day = first.created_at.replace(tzinfo=first.created_at.tzinfo or UTC).astimezone(zone).date()
        for entry, shop_name, order_number, method in group:
            _code, journal_label, counterpart, label = JOURNALS[entry.kind]
            if entry.kind == LedgerKind.REFUND and method == "at_pickup":
                counterpart = "cash"
            amount = entry.amount_cents
            shop_number, shop_label = accounts["shops"]
            other_number, other_label = accounts[counterpart]
            text = f"{label} {order_number}"
            aux, aux_label = f"C{entry.shop_id:05d}", shop_name
            # From the shop's side: positive is owed to the shop, so its account is credited.
            lines.append(FecLine(journal, journal_label, number, day, other_number, other_label, "", "",
                                 order_number, text, max(amount, 0), max(-amount, 0)))
            lines.append(FecLine(journal, journal_label, number, day, shop_number, shop_label, aux, aux_label,
                                 order_number, text, max(-amount, 0), max(amount, 0)))
    lines.extend(_membership_fee_lines(year, accounts))
    lines.extend(_no_show_fee_lines(year, accounts))
    return lines


def _no_show_fee_lines(year: int, accounts: dict[str, tuple[str, str]]) -> list[FecLine]:
    """One entry per fee kept in `year` (venue time): the card receipts account debited with the fee
    kept (TTC), the fee account credited with its HT amount and collected VAT with its VAT."""
    zone = venue_zone()
    journal, journal_label = NO_SHOW_FEE_JOURNAL
    card_number, card_label = accounts["card"]
    fee_number, fee_label = accounts["no_show_fee"]
    vat_number, vat_label = accounts["vat"]
    lines = []
    for n, row in enumerate(no_show.fees_of_year(year), start=1):
        fee = row.fee
        day = fee.created_at.replace(tzinfo=fee.created_at.tzinfo or UTC).astimezone(zone).date()
        number, piece = f"{journal}{n:06d}", row.order_number
        text = f"Frais de commande non retirée {row.order_number}"
        lines.append(FecLine(journal, journal_label, number, day, card_number, card_label, "", "", piece, text,
                             fee.amount_cents, 0))
        lines.append(FecLine(journal, journal_label, number, day, fee_number, fee_label, "", "", piece, text,
                             0, fee.ht_cents))
        if fee.vat_cents:
            lines.append(FecLine(journal, journal_label, number, day, vat_number, vat_label, "", "", piece, text,
                                 0, fee.vat_cents))
    return lines


def _membership_fee_lines(year: int, accounts: dict[str, tuple[str, str]]) -> list[FecLine]:
    """One entry per fee received in `year` (the year it was paid, venue time): cash debited for a fee
    received at the desk, the card receipts account (Stripe, as for card orders) for a fee paid by card;
    the members' fees account credited."""
    zone = venue_zone()
    journal, journal_label = MEMBERSHIP_JOURNAL
    fee_number, fee_label = accounts["membership"]
    lines = []
    for n, fee in enumerate(fees_of_year(year), start=1):
        day = fee.paid_at.replace(tzinfo=fee.paid_at.tzinfo or UTC).astimezone(zone).date()
        number, piece = f"{journal}{n:06d}", f"COT-{fee.year}-{fee.id:06d}"
        paid_number, paid_label = accounts["card" if fee.method == FeeMethod.CARD else "cash"]
        text = f"Cotisation {fee.year} {fee.member_name}" + (" (carte)" if fee.method == FeeMethod.CARD else "")
        lines.append(FecLine(journal, journal_label, number, day, paid_number, paid_label, "", "", piece, text,
                             fee.amount_cents, 0))
        lines.append(FecLine(journal, journal_label, number, day, fee_number, fee_label, "", "", piece, text,
                             0, fee.amount_cents))
    return lines


def fec_text(year: int) -> str:
    """The FEC file: a header line with the 18 column names, then one line per FecLine."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\r\n", quoting=csv.QUOTE_NONE, escapechar="\\")
    writer.writerow(COLUMNS)
    for line in fec_lines(year):
        day = f"{line.day:%Y%m%d}"
        writer.writerow([line.journal, line.journal_label, line.number, day, line.account,
                         _clean(line.account_label), line.aux, _clean(line.aux_label), line.piece, day,
                         _clean(line.label), _amount(line.debit), _amount(line.credit), "", "", day, "", ""])
    return out.getvalue()


def _clean(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


def fec_filename(siren: str, year: int) -> str:
    return f"{siren or '000000000'}FEC{year}1231.txt"
