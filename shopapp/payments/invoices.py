"""Commission invoices: one per shop per month, credit notes for corrections, one continuous numbering.

French invoicing rules: each invoice or credit note carries a number from one sequence without gaps,
taken only when it is issued and inside the same transaction (`_take_number`: the counter row is
updated with `UPDATE … RETURNING`, which holds its lock until the commit, so a second issuer waits and a
rolled-back issue gives its number back); its issue date; the association's and the shop's legal
identity (copied at issue); the commission HT, the VAT rate and amount, the total TTC and the payment
terms. An issued invoice never changes (models refuse updates and deletes): a correction is a credit
note, numbered in the same sequence, referencing the invoice.

The amounts are those of the shop's monthly statement (payments/statements.py), so ledger, statement,
invoice and transfer agree to the cent: the commission TTC was withheld from the month's transfers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, text

from shopapp.catalog.models import Shop
from shopapp.core.clock import utcnow, venue_today
from shopapp.core.money import vat_on
from shopapp.errors import NotFoundError, ValidationFailed
from shopapp.extensions import db
from shopapp.payments import commission, statements
from shopapp.payments.models import CommissionInvoice, InvoiceKind, LedgerEntry, LedgerKind, LegalIdentity

COUNTER = "invoice"
ISSUE_MONTH_TASK = "payments.issue_monthly_invoices"


class IdentityMissing(ValidationFailed):
    code = "legal_identity_missing"


def _payment_terms() -> str:
    return str(_l("Commission TTC retenue sur les versements du mois : rien à payer. Pas d'escompte pour "
                  "paiement anticipé ; pénalités de retard au taux légal ; indemnité forfaitaire pour frais "
                  "de recouvrement de 40 €."))


# -- identities ----------------------------------------------------------------------------------------

def identity_for(shop_id: int | None) -> LegalIdentity:
    """The association's identity (`None`) or a shop's; an empty, unsaved one when none was recorded."""
    found = db.session.scalar(select(LegalIdentity).where(
        LegalIdentity.shop_id.is_(None) if shop_id is None else LegalIdentity.shop_id == shop_id))
    return found or LegalIdentity(shop_id=shop_id, name="", address="", siret="", vat_number="")


def missing_fields(identity: LegalIdentity) -> list[str]:
    """The French names of the fields still empty, in the order of the form."""
    labels = (("name", _l("raison sociale")), ("address", _l("adresse")), ("siret", _l("SIRET")),
              ("vat_number", _l("numéro de TVA intracommunautaire")))
    return [str(label) for name, label in labels if not getattr(identity, name).strip()]


def save_identity(shop_id: int | None, *, name: str, address: str, siret: str, vat_number: str) -> LegalIdentity:
    """Record a legal identity (the form has checked the SIRET). Used by the next invoices only. Flushes."""
    identity = identity_for(shop_id)
    if identity.id is None:
        db.session.add(identity)
    identity.name, identity.address = name.strip(), address.strip()
    identity.siret, identity.vat_number = siret.strip(), vat_number.strip().upper().replace(" ", "")
    db.session.flush()
    return identity


def _require_identities(shop: Shop) -> tuple[LegalIdentity, LegalIdentity]:
    seller, buyer = identity_for(None), identity_for(shop.id)
    problems = []
    if missing := missing_fields(seller):
        problems.append(str(_l("l'association n'a pas renseigné : %(fields)s", fields=", ".join(missing))))
    if missing := missing_fields(buyer):
        problems.append(str(_l("%(shop)s n'a pas renseigné : %(fields)s", shop=shop.name, fields=", ".join(missing))))
    if problems:
        raise IdentityMissing(str(_l("Facture impossible, identité légale incomplète : %(problems)s.",
                                     problems=" ; ".join(problems))))
    return seller, buyer


# -- numbering and issue -------------------------------------------------------------------------------

def _take_number() -> int:
    """The next number of the one sequence, taken in the caller's transaction (its lock is held to the commit)."""
    _ensure_counter()
    number = db.session.execute(
        text("UPDATE invoice_counter SET next_number = next_number + 1 WHERE name = :name RETURNING next_number"),
        {"name": COUNTER},
    ).scalar_one()
    return int(number) - 1


def _ensure_counter() -> None:
    # The migration creates the row; this covers a schema made otherwise (tests) without a race.
    db.session.execute(text("INSERT INTO invoice_counter (name, next_number) VALUES (:name, 1) "
                            "ON CONFLICT (name) DO NOTHING"), {"name": COUNTER})


def _lock_counter() -> None:
    # Serialises every issue before its checks: a second issuer of the same month waits here, then sees
    # the first one's invoice. On SQLite the write lock of the UPDATE below does the same.
    _ensure_counter()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT next_number FROM invoice_counter WHERE name = :name FOR UPDATE"),
                           {"name": COUNTER})


def _month_key(shop_id: int, month: date) -> str:
    return f"invoice:{shop_id}:{month:%Y-%m}"


def invoice_for_month(shop_id: int, month: date) -> CommissionInvoice | None:
    return db.session.scalar(select(CommissionInvoice).where(CommissionInvoice.issue_key == _month_key(shop_id, month)))


def _new(kind: InvoiceKind, key: str, shop: Shop, month: date, *, sales: int, ht: int, vat_rate: int, vat: int,
         seller: LegalIdentity, buyer: LegalIdentity, credits: int | None = None,
         reason: str = "") -> CommissionInvoice:
    invoice = CommissionInvoice(
        number=_take_number(), kind=str(kind), issue_key=key, shop_id=shop.id, month=month,
        issue_date=venue_today(), issued_at=utcnow(), credits_invoice_id=credits, reason=reason[:255],
        seller_name=seller.name, seller_address=seller.address, seller_siret=seller.siret,
        seller_vat_number=seller.vat_number, buyer_name=buyer.name, buyer_address=buyer.address,
        buyer_siret=buyer.siret, buyer_vat_number=buyer.vat_number, sales_cents=sales, commission_ht_cents=ht,
        vat_rate_bps=vat_rate, vat_cents=vat, total_ttc_cents=ht + vat, currency="EUR",
        payment_terms=_payment_terms(),
    )
    db.session.add(invoice)
    db.session.flush()
    return invoice


def issue_invoice(shop_id: int, month: date) -> CommissionInvoice:
    """Issue the shop's commission invoice for a month (first day), or return the one already issued.

    :raise NotFoundError: no such shop. :raise IdentityMissing: an identity is incomplete (says what).
    :raise ValidationFailed: the month is not over yet. Flushes, never commits.
    """
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        raise NotFoundError(str(_l("Commerce introuvable.")))
    month = month.replace(day=1)
    if month >= venue_today().replace(day=1):
        raise ValidationFailed(str(_l("On ne facture qu'un mois terminé.")), fields={"month": "AAAA-MM"})
    _lock_counter()
    if (done := invoice_for_month(shop_id, month)) is not None:
        return done
    seller, buyer = _require_identities(shop)
    statement = statements.statement_for(shop, month)
    return _new(InvoiceKind.INVOICE, _month_key(shop_id, month), shop, month, sales=statement.totals["sales"],
                ht=statement.commission_net_cents, vat_rate=commission.commission_vat_bps(),
                vat=statement.commission_vat_cents, seller=seller, buyer=buyer)


def issue_credit_note(invoice_id: int, *, reason: str, commission_ht_cents: int | None = None) -> CommissionInvoice:
    """A credit note cancelling an invoice, wholly or for part of its commission HT (VAT in proportion).

    Numbered in the same sequence, its amounts negative. :raise NotFoundError: no such invoice.
    :raise ValidationFailed: not an invoice, no reason, an amount beyond what is left to credit.
    Flushes, never commits.
    """
    _lock_counter()
    invoice = db.session.get(CommissionInvoice, invoice_id)
    if invoice is None:
        raise NotFoundError(str(_l("Facture introuvable.")))
    if invoice.kind != InvoiceKind.INVOICE:
        raise ValidationFailed(str(_l("Un avoir porte sur une facture, pas sur un autre avoir.")))
    if not reason.strip():
        raise ValidationFailed(str(_l("Indiquez le motif de l'avoir.")), fields={"reason": str(_l("obligatoire"))})
    credited = credit_notes_of(invoice.id)
    left_ht = invoice.commission_ht_cents + sum(note.commission_ht_cents for note in credited)
    left_vat = invoice.vat_cents + sum(note.vat_cents for note in credited)
    ht = left_ht if commission_ht_cents is None else commission_ht_cents
    if not 0 < ht <= left_ht:
        raise ValidationFailed(str(_l("Montant de l'avoir invalide : au plus %(left)s centimes HT.", left=left_ht)),
                               fields={"commission_ht_cents": str(_l("montant invalide"))})
    # The whole rest gets the rest of the VAT exactly; a part gets it at the invoice's rate.
    vat = left_vat if ht == left_ht else min(vat_on(ht, invoice.vat_rate_bps), left_vat)
    shop = db.session.get(Shop, invoice.shop_id)
    assert shop is not None
    seller = LegalIdentity(name=invoice.seller_name, address=invoice.seller_address, siret=invoice.seller_siret,
                           vat_number=invoice.seller_vat_number)
    buyer = LegalIdentity(name=invoice.buyer_name, address=invoice.buyer_address, siret=invoice.buyer_siret,
                          vat_number=invoice.buyer_vat_number)
    return _new(InvoiceKind.CREDIT_NOTE, f"credit:{invoice.id}:{len(credited) + 1}", shop, invoice.month,
                sales=0, ht=-ht, vat_rate=invoice.vat_rate_bps, vat=-vat, seller=seller, buyer=buyer,
                credits=invoice.id, reason=reason.strip())


def credit_notes_of(invoice_id: int) -> list[CommissionInvoice]:
    return list(db.session.scalars(select(CommissionInvoice).where(CommissionInvoice.credits_invoice_id == invoice_id)
                                   .order_by(CommissionInvoice.number)))


@dataclass
class MonthRun:
    issued: list[CommissionInvoice] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # shop name → why


def shops_to_invoice(month: date) -> list[int]:
    """Shops with commission posted in the month (venue time)."""
    start, end = statements.month_bounds(month.replace(day=1))
    return list(db.session.scalars(
        select(LedgerEntry.shop_id).distinct()
        .where(LedgerEntry.kind == str(LedgerKind.COMMISSION), LedgerEntry.created_at >= start,
               LedgerEntry.created_at < end).order_by(LedgerEntry.shop_id)))


def issue_month(month: date) -> MonthRun:
    """Issue every shop's invoice for the month; a shop whose identity is incomplete is reported, not
    invoiced (issued later once it is). Idempotent. Flushes, never commits."""
    run = MonthRun()
    for shop_id in shops_to_invoice(month):
        try:
            run.issued.append(issue_invoice(shop_id, month))
        except IdentityMissing as exc:
            shop = db.session.get(Shop, shop_id)
            run.refused[shop.name if shop else str(shop_id)] = exc.message
    return run


def previous_month(today: date | None = None) -> date:
    first = (today or venue_today()).replace(day=1)
    return date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)


def invoices(*, month: date | None = None, shop_id: int | None = None) -> list[CommissionInvoice]:
    """Issued invoices and credit notes, newest number first, for a month and/or a shop."""
    stmt = select(CommissionInvoice).order_by(CommissionInvoice.number.desc())
    if month is not None:
        stmt = stmt.where(CommissionInvoice.month == month.replace(day=1))
    if shop_id is not None:
        stmt = stmt.where(CommissionInvoice.shop_id == shop_id)
    return list(db.session.scalars(stmt))


def credited_invoice(note: CommissionInvoice) -> CommissionInvoice | None:
    return db.session.get(CommissionInvoice, note.credits_invoice_id) if note.credits_invoice_id else None


def invoice_or_404(invoice_id: int, *, shop_id: int | None = None) -> CommissionInvoice:
    """An invoice, of that shop when one is named. :raise NotFoundError:"""
    invoice = db.session.get(CommissionInvoice, invoice_id)
    if invoice is None or (shop_id is not None and invoice.shop_id != shop_id):
        raise NotFoundError(str(_l("Facture introuvable.")))
    return invoice
