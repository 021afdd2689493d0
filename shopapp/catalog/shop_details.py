"""A shop's own details, edited by its staff once the association has approved it: preparation time,
opening days (the weekdays it prepares orders: pickup slots on other days are not offered for a basket
holding its products), description, address, logo. Every change is logged (`ShopChange`) for the
association to see.

Services flush and never commit; the request boundary commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from shopapp.catalog.models import Shop, ShopChange, ShopStatus
from shopapp.errors import ForbiddenError, ValidationFailed
from shopapp.extensions import db

PREPARATION_MINUTES_MIN = 15
PREPARATION_MINUTES_MAX = 48 * 60
DESCRIPTION_MAX = 2000
ADDRESS_MAX = 255


@dataclass(frozen=True)
class ShopDetails:
    preparation_minutes: int
    opening_days: tuple[int, ...]
    description: str
    address: str


def validate(details: ShopDetails) -> dict[str, str]:
    """French messages by field name; empty when the details are acceptable."""
    errors: dict[str, str] = {}
    if not PREPARATION_MINUTES_MIN <= details.preparation_minutes <= PREPARATION_MINUTES_MAX:
        errors["preparation_minutes"] = str(_l(
            "Le temps de préparation va de %(low)d minutes à %(high)d heures.",
            low=PREPARATION_MINUTES_MIN, high=PREPARATION_MINUTES_MAX // 60))
    if not details.opening_days or any(day not in range(1, 8) for day in details.opening_days):
        errors["opening_days"] = str(_l("Cochez au moins un jour où la boutique prépare les commandes."))
    if len(details.description) > DESCRIPTION_MAX:
        errors["description"] = str(_l("La description compte %(max)d caractères au plus.", max=DESCRIPTION_MAX))
    if not details.address.strip():
        errors["address"] = str(_l("Indiquez l'adresse de la boutique."))
    elif len(details.address) > ADDRESS_MAX:
        errors["address"] = str(_l("L'adresse compte %(max)d caractères au plus.", max=ADDRESS_MAX))
    return errors


def record_change(shop_id: int, field: str, old: object, new: object, *, actor_id: int | None) -> None:
    """Log one change of a shop's details. Flushes."""
    db.session.add(ShopChange(shop_id=shop_id, field=field, old_value=_text(old), new_value=_text(new),
                              actor_id=actor_id))
    db.session.flush()


def _text(value: object) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return "" if value is None else str(value)


def update_details(shop: Shop, details: ShopDetails, *, actor_id: int | None) -> list[str]:
    """Change the shop's details and log each changed field; returns the changed fields' names. Flushes.

    :raise ForbiddenError: the association has not approved the shop yet.
    :raise ValidationFailed: see `validate` (the messages are on the fields).
    """
    if shop.status == ShopStatus.PENDING:
        raise ForbiddenError(str(_l("La boutique pourra modifier sa fiche une fois acceptée par l'association.")))
    errors = validate(details)
    if errors:
        raise ValidationFailed(str(_l("Certains champs sont à corriger.")), fields=errors)
    wanted = {
        "preparation_minutes": details.preparation_minutes,
        "opening_days": sorted(set(details.opening_days)),
        "description": details.description.strip(),
        "address": details.address.strip(),
    }
    changed = []
    for field, value in wanted.items():
        old = getattr(shop, field)
        if (sorted(old or []) if field == "opening_days" else old) != value:
            record_change(shop.id, field, old, value, actor_id=actor_id)
            setattr(shop, field, value)
            changed.append(field)
    db.session.flush()
    return changed


def recent_changes(shop_id: int, limit: int = 20) -> Sequence[ShopChange]:
    return db.session.scalars(
        select(ShopChange).where(ShopChange.shop_id == shop_id).order_by(ShopChange.id.desc()).limit(limit)
    ).all()
