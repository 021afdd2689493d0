"""The association's rules on shops (listing, suspending, reinstating, their decisions) and on acting for
a shop, with the helpers the other association services share: `record_decision`, `require_text`,
`lock_shop`. Applications are in `association/applications.py`, shop teams and invitations in
`association/team.py`, nominations in `association/nominations.py`, venue settings in
`association/settings.py`.

Services flush and never commit; the request, CLI or task boundary commits, so one unit of work is one
transaction. E-mails are outbox jobs written in the same transaction.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from shopapp.association.models import ActingLog, DecisionAction, ShopApplication, ShopDecision
from shopapp.catalog.models import Shop, ShopStatus
from shopapp.errors import InvalidTransition, NotFoundError, ValidationFailed
from shopapp.extensions import db

# -- shared by the association's services ------------------------------------------------------------


def record_decision(action: str, *, actor_id: int | None, reason: str = "", shop_id: int | None = None,
                    application_id: int | None = None, nomination_id: int | None = None) -> ShopDecision:
    """Log a decision of the association (on a shop, an application or a nomination). Flushes."""
    decision = ShopDecision(action=action, actor_id=actor_id, reason=reason.strip(), shop_id=shop_id,
                            application_id=application_id, nomination_id=nomination_id)
    db.session.add(decision)
    db.session.flush()
    return decision


def require_text(value: str, field: str, message: object) -> None:
    """:raise ValidationFailed: `value` is blank (`message` on `field`)."""
    if not value.strip():
        raise ValidationFailed(str(message), fields={field: str(message)})


def lock_shop(shop_id: int) -> Shop:
    """The shop, row-locked until the transaction ends. :raise NotFoundError: no such shop."""
    shop = db.session.scalar(select(Shop).where(Shop.id == shop_id).with_for_update())
    if shop is None:
        raise NotFoundError(str(_l("Boutique introuvable.")))
    return shop


# -- shops -------------------------------------------------------------------------------------------


def list_shops() -> list[Shop]:
    """Every shop, whatever its status, by name."""
    return list(db.session.scalars(select(Shop).order_by(Shop.name, Shop.id)))


def get_shop(slug: str) -> Shop:
    """A shop in any status. :raise NotFoundError: unknown slug."""
    shop = db.session.scalar(select(Shop).where(Shop.slug == slug))
    if shop is None:
        raise NotFoundError(str(_l("Boutique introuvable.")))
    return shop


def suspend_shop(shop_id: int, *, actor_id: int, reason: str) -> ShopDecision:
    """Suspend an approved shop: the catalog stops showing it and its products; its open orders stay
    served. Logs the decision. Flushes.

    :raise ValidationFailed: empty reason. :raise InvalidTransition: the shop is not approved.
    """
    require_text(reason, "reason", _l("Indiquez le motif de la suspension."))
    shop = lock_shop(shop_id)
    if shop.status != ShopStatus.APPROVED:
        raise InvalidTransition(str(_l("Seule une boutique active peut être suspendue.")))
    shop.status = ShopStatus.SUSPENDED
    return record_decision(DecisionAction.SUSPEND, actor_id=actor_id, reason=reason, shop_id=shop.id)


def reinstate_shop(shop_id: int, *, actor_id: int, reason: str = "") -> ShopDecision:
    """Make a suspended shop visible again and log it. Flushes.

    :raise InvalidTransition: the shop is not suspended.
    """
    shop = lock_shop(shop_id)
    if shop.status != ShopStatus.SUSPENDED:
        raise InvalidTransition(str(_l("Seule une boutique suspendue peut être rétablie.")))
    shop.status = ShopStatus.APPROVED
    return record_decision(DecisionAction.REINSTATE, actor_id=actor_id, reason=reason, shop_id=shop.id)


def decisions_for_shop(shop_id: int) -> list[ShopDecision]:
    """The shop's decisions and those on the application that created it, newest first."""
    application_ids = select(ShopApplication.id).where(ShopApplication.shop_id == shop_id)
    return list(db.session.scalars(
        select(ShopDecision)
        .where((ShopDecision.shop_id == shop_id) | ShopDecision.application_id.in_(application_ids))
        .order_by(ShopDecision.id.desc())
    ))


# -- acting for a shop -------------------------------------------------------------------------------


def start_acting(slug: str, *, admin_id: int, path: str) -> Shop:
    """Check the shop exists and log that the admin starts acting for it (the view keeps it in the
    session). Flushes. :raise NotFoundError: unknown slug."""
    shop = get_shop(slug)
    log_acting_request(admin_id=admin_id, shop_id=shop.id, method="POST", path=path, endpoint="association.act_start")
    return shop


def log_acting_request(*, admin_id: int, shop_id: int, method: str, path: str, endpoint: str) -> ActingLog:
    """Record a state-changing request an admin makes on behalf of a shop. Flushes; rolled back with
    the request when it fails."""
    row = ActingLog(admin_id=admin_id, shop_id=shop_id, method=method[:8], path=path[:500], endpoint=endpoint[:120])
    db.session.add(row)
    db.session.flush()
    return row


def acting_log_for_shop(shop_id: int, limit: int = 100) -> list[ActingLog]:
    return list(db.session.scalars(
        select(ActingLog).where(ActingLog.shop_id == shop_id).order_by(ActingLog.id.desc()).limit(limit)
    ))
