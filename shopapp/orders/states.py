"""The two state machines of an order (the order and each shop's part): statuses and their allowed transitions.

Only the services in `fulfilment.py` and `placement.py` move a status, through
`events.change_order_status` / `events.change_part_status`, which refuse anything not listed here.
"""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class OrderStatus(enum.StrEnum):
    PENDING_PAYMENT = "pending_payment"
    CONFIRMED = "confirmed"
    READY_FOR_PICKUP = "ready_for_pickup"
    COLLECTED = "collected"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


class PartStatus(enum.StrEnum):
    RECEIVED = "received"
    PREPARING = "preparing"
    READY = "ready"
    AT_VENUE = "at_venue"
    REJECTED = "rejected"
    # Not a shop's decision: the parts of an order cancelled before any preparation started.
    CANCELLED = "cancelled"


class PaymentMethod(enum.StrEnum):
    AT_PICKUP = "at_pickup"
    CARD = "card"


class OrderPaymentStatus(enum.StrEnum):
    """Where the order's payment stands. A card payment attempt has its own status
    (`payments.models.CardPaymentStatus`)."""

    PENDING = "pending"  # card: waiting for the payment provider
    DUE = "due"  # at_pickup: paid at the desk
    PAID = "paid"
    VOID = "void"  # cancelled or no-show before any payment


class NoShowPolicy(enum.StrEnum):
    """What the association does with the money of a card-paid order nobody collected."""

    REFUND = "refund"  # give it all back
    FEE = "fee"  # give it back less a fixed fee (never more than was paid)
    PAY_SHOPS = "pay_shops"  # perishable goods: the shops are paid as for a collected order


NO_SHOW_POLICY_LABELS = {
    NoShowPolicy.REFUND: _l("Rembourser entièrement"),
    NoShowPolicy.FEE: _l("Rembourser moins des frais fixes"),
    NoShowPolicy.PAY_SHOPS: _l("Payer les commerçants pour les produits périssables (ceux que chaque boutique "
                               "marque « périssable » : pain, fromage, viande, fleurs…) et rembourser le reste"),
}


class PaidVia(enum.StrEnum):
    CARD_TERMINAL = "card_terminal"
    CASH = "cash"
    CARD_ONLINE = "card_online"


ORDER_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING_PAYMENT: frozenset({OrderStatus.CONFIRMED, OrderStatus.CANCELLED}),
    OrderStatus.CONFIRMED: frozenset({OrderStatus.READY_FOR_PICKUP, OrderStatus.CANCELLED}),
    OrderStatus.READY_FOR_PICKUP: frozenset({OrderStatus.COLLECTED, OrderStatus.NO_SHOW}),
    OrderStatus.COLLECTED: frozenset(),
    OrderStatus.NO_SHOW: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}

PART_TRANSITIONS: dict[PartStatus, frozenset[PartStatus]] = {
    PartStatus.RECEIVED: frozenset({PartStatus.PREPARING, PartStatus.REJECTED, PartStatus.CANCELLED}),
    PartStatus.PREPARING: frozenset({PartStatus.READY, PartStatus.REJECTED}),
    PartStatus.READY: frozenset({PartStatus.AT_VENUE}),
    PartStatus.AT_VENUE: frozenset(),
    PartStatus.REJECTED: frozenset(),
    PartStatus.CANCELLED: frozenset(),
}

# Orders whose parts the shops work on.
ACTIVE_ORDER_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.READY_FOR_PICKUP)
# Parts still in the order (their lines count in its total).
REMAINING_PART_STATUSES = (PartStatus.RECEIVED, PartStatus.PREPARING, PartStatus.READY, PartStatus.AT_VENUE)

ORDER_LABELS = {
    OrderStatus.PENDING_PAYMENT: _l("En attente de paiement"),
    OrderStatus.CONFIRMED: _l("Confirmée"),
    OrderStatus.READY_FOR_PICKUP: _l("Prête à retirer"),
    OrderStatus.COLLECTED: _l("Retirée"),
    OrderStatus.NO_SHOW: _l("Non retirée"),
    OrderStatus.CANCELLED: _l("Annulée"),
}

PART_LABELS = {
    PartStatus.RECEIVED: _l("Reçue"),
    PartStatus.PREPARING: _l("En préparation"),
    PartStatus.READY: _l("Prête en boutique"),
    PartStatus.AT_VENUE: _l("Déposée à la Halle"),
    PartStatus.REJECTED: _l("Refusée (rupture)"),
    PartStatus.CANCELLED: _l("Annulée"),
}

PAID_VIA_LABELS = {
    PaidVia.CARD_TERMINAL: _l("Carte (terminal)"),
    PaidVia.CASH: _l("Espèces"),
    PaidVia.CARD_ONLINE: _l("Carte en ligne"),
}


def can_order_move(old: str, new: str) -> bool:
    return OrderStatus(new) in ORDER_TRANSITIONS[OrderStatus(old)]


def can_part_move(old: str, new: str) -> bool:
    return PartStatus(new) in PART_TRANSITIONS[PartStatus(old)]


def _sql_list(values: object) -> str:
    return ", ".join(f"'{v}'" for v in values)  # type: ignore[attr-defined]


ORDER_STATUS_SQL = _sql_list(OrderStatus)
PART_STATUS_SQL = _sql_list(PartStatus)
