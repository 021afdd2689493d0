"""The association's settings of the venue (hours, slots, holding, cut-off), each change audited.

Commission rates belong to payments (`payments.commission`, audited there by CommissionRateChange);
the settings page calls it. Services flush and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from itertools import pairwise
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from shopapp.association.models import SettingChange
from shopapp.core.clock import venue_today
from shopapp.errors import DomainError, NotFoundError, ValidationFailed
from shopapp.extensions import db
from shopapp.orders.slots import CalendarChange, follow_calendar
from shopapp.orders.states import NoShowPolicy
from shopapp.venue.models import ClosedDay, OpeningHours, Venue

WEEKDAYS = {1: _l("lundi"), 2: _l("mardi"), 3: _l("mercredi"), 4: _l("jeudi"), 5: _l("vendredi"), 6: _l("samedi"),
            7: _l("dimanche")}


@dataclass(frozen=True)
class VenueSettings:
    slot_capacity: int
    slot_minutes: int
    holding_minutes: int
    booking_cutoff_minutes: int


@dataclass(frozen=True)
class VenueIdentity:
    name: str
    town: str
    address: str
    latitude: float | None
    longitude: float | None
    description: str


@dataclass(frozen=True)
class HoursRow:
    weekday: int
    opens: time
    closes: time



def _venue(venue_id: int) -> Venue:
    venue = db.session.scalar(select(Venue).where(Venue.id == venue_id).with_for_update())
    if venue is None:
        raise NotFoundError(str(_l("Lieu de retrait introuvable.")))
    return venue


def _audit(key: str, old: object, new: object, actor_id: int) -> SettingChange:
    change = SettingChange(key=key, old_value=str(old), new_value=str(new), actor_id=actor_id)
    db.session.add(change)
    return change


def update_venue_settings(
    venue_id: int, values: VenueSettings, *, actor_id: int
) -> tuple[list[SettingChange], CalendarChange | None]:
    """Write the venue's slot and holding settings; one audit row per value that changed. Flushes.

    Slots already generated keep their capacity; new ones use the new values. A new slot length
    re-cuts the future slots (`follow_calendar`), whose change is returned (None when the length stays).
    :raise NotFoundError: no such venue. :raise ValidationFailed: a value out of range.
    """
    errors = {}
    if not 1 <= values.slot_capacity <= 1000:
        errors["slot_capacity"] = str(_l("Entre 1 et 1000."))
    if not 5 <= values.slot_minutes <= 240:
        errors["slot_minutes"] = str(_l("Entre 5 et 240 minutes."))
    if not 0 <= values.holding_minutes <= 20160:
        errors["holding_minutes"] = str(_l("Entre 0 et 20 160 minutes (14 jours)."))
    if not 0 <= values.booking_cutoff_minutes <= 10080:
        errors["booking_cutoff_minutes"] = str(_l("Entre 0 et 10 080 minutes (7 jours)."))
    if errors:
        raise ValidationFailed(str(_l("Certains réglages sont hors limites.")), fields=errors)
    venue = _venue(venue_id)
    changes = []
    for key in ("slot_capacity", "slot_minutes", "holding_minutes", "booking_cutoff_minutes"):
        old, new = getattr(venue, key), getattr(values, key)
        if old != new:
            setattr(venue, key, new)
            changes.append(_audit(f"venue.{key}", old, new, actor_id))
    db.session.flush()
    recut = any(change.key == "venue.slot_minutes" for change in changes)
    return changes, (follow_calendar() if recut else None)


MAX_MEMBERSHIP_FEE_CENTS = 100_000


def set_membership_fee(venue_id: int, fee_cents: int, *, actor_id: int) -> list[SettingChange]:
    """The yearly membership fee (0: membership is free); audited when it changes. Flushes.

    :raise ValidationFailed: negative, or over 1 000 €.
    """
    if not 0 <= fee_cents <= MAX_MEMBERSHIP_FEE_CENTS:
        raise ValidationFailed(str(_l("Entre 0 et 1 000 €.")), fields={"fee": str(_l("Entre 0 et 1 000 €."))})
    venue = _venue(venue_id)
    if venue.membership_fee_cents == fee_cents:
        return []
    change = _audit("venue.membership_fee_cents", venue.membership_fee_cents, fee_cents, actor_id)
    venue.membership_fee_cents = fee_cents
    db.session.flush()
    return [change]


def set_ordering_rules(venue_id: int, require_confirmed_email: bool, *, actor_id: int) -> list[SettingChange]:
    """Whether residents confirm their e-mail address before ordering; audited when it changes. Flushes."""
    venue = _venue(venue_id)
    if venue.require_confirmed_email == require_confirmed_email:
        return []
    change = _audit("venue.require_confirmed_email", venue.require_confirmed_email, require_confirmed_email, actor_id)
    venue.require_confirmed_email = require_confirmed_email
    db.session.flush()
    return [change]


def set_no_show_policy(venue_id: int, policy: str, fee_cents: int, *, actor_id: int) -> list[SettingChange]:
    """What happens to the money of a card-paid order nobody collected (`orders.states.NoShowPolicy`):
    all refunded, or refunded less a fixed fee in cents. Applies to the orders marked no-show from now
    on; audited when it changes. Flushes.

    :raise ValidationFailed: an unknown policy, a fee that is not positive with the fee policy.
    """
    if policy not in set(NoShowPolicy):
        raise ValidationFailed(str(_l("Certains réglages sont hors limites.")),
                               fields={"policy": str(_l("Choix inconnu."))})
    if policy == NoShowPolicy.FEE and fee_cents <= 0:
        raise ValidationFailed(str(_l("Certains réglages sont hors limites.")),
                               fields={"fee": str(_l("Indiquez le montant des frais."))})
    fee_cents = fee_cents if policy == NoShowPolicy.FEE else 0
    venue = _venue(venue_id)
    changes = []
    for key, new in (("no_show_policy", policy), ("no_show_fee_cents", fee_cents)):
        old = getattr(venue, key)
        if old != new:
            setattr(venue, key, new)
            changes.append(_audit(f"venue.{key}", old, new, actor_id))
    db.session.flush()
    return changes


def update_venue_identity(venue_id: int, values: VenueIdentity, *, actor_id: int) -> list[SettingChange]:
    """Write what the town knows the venue by (name, town, address, map position, how pickup works), shown
    on every page, e-mail and calendar; one audit row per value that changed. Flushes.

    :raise NotFoundError: no such venue. :raise ValidationFailed: an empty name, town or address, a
    position given by half or out of range.
    """
    cleaned = VenueIdentity(values.name.strip(), values.town.strip(), values.address.strip(), values.latitude,
                            values.longitude, values.description.strip())
    errors = {key: str(_l("Ce champ est obligatoire.")) for key in ("name", "town", "address")
              if not getattr(cleaned, key)}
    if (cleaned.latitude is None) != (cleaned.longitude is None):
        missing = "longitude" if cleaned.longitude is None else "latitude"
        errors[missing] = str(_l("Donnez la latitude et la longitude."))
    if cleaned.latitude is not None and not -90 <= cleaned.latitude <= 90:
        errors["latitude"] = str(_l("Entre -90 et 90."))
    if cleaned.longitude is not None and not -180 <= cleaned.longitude <= 180:
        errors["longitude"] = str(_l("Entre -180 et 180."))
    if errors:
        raise ValidationFailed(str(_l("Certains champs sont à revoir.")), fields=errors)
    venue = _venue(venue_id)
    changes = []
    for key in ("name", "town", "address", "latitude", "longitude", "description"):
        old, new = getattr(venue, key), getattr(cleaned, key)
        if old != new:
            setattr(venue, key, new)
            changes.append(_audit(f"venue.{key}", old, new, actor_id))
    db.session.flush()
    return changes


def describe_hours(rows: list[HoursRow] | list[OpeningHours]) -> str:
    """`1 08:00-12:00; 1 14:00-19:00; …` sorted, the audit's representation of opening hours."""
    parts = sorted((row.weekday, row.opens, row.closes) for row in rows)
    return "; ".join(f"{day} {opens:%H:%M}-{closes:%H:%M}" for day, opens, closes in parts)


def set_opening_hours(venue_id: int, rows: list[HoursRow], *, actor_id: int) -> CalendarChange | None:
    """Replace the venue's weekly opening hours, audited as one change (old and new lists), and bring the
    future slots in line (`orders.slots.follow_calendar`). Flushes.

    Returns None when nothing changed. :raise ValidationFailed: a bad row or overlapping periods.
    """
    errors = {}
    for index, row in enumerate(rows):
        if row.weekday not in WEEKDAYS:
            errors[f"hours-{index}-weekday"] = str(_l("Jour inconnu."))
        elif row.opens >= row.closes:
            errors[f"hours-{index}-closes"] = str(_l("La fermeture doit suivre l'ouverture."))
    by_day = sorted(rows, key=lambda r: (r.weekday, r.opens))
    for before, after in pairwise(by_day):
        if before.weekday == after.weekday and after.opens < before.closes:
            errors["hours"] = str(_l("Deux plages du même jour se chevauchent."))
    if errors:
        raise ValidationFailed(str(_l("Les horaires ne sont pas valides.")), fields=errors)
    venue = _venue(venue_id)
    old, new = describe_hours(list(venue.opening_hours)), describe_hours(rows)
    if old == new:
        return None
    venue.opening_hours.clear()
    db.session.flush()
    venue.opening_hours.extend(OpeningHours(weekday=r.weekday, opens=r.opens, closes=r.closes) for r in by_day)
    _audit("venue.opening_hours", old, new, actor_id)
    db.session.flush()
    return follow_calendar()


def upcoming_closed_days(venue: Venue) -> list[ClosedDay]:
    today = venue_today(zone=ZoneInfo(venue.timezone))
    return [row for row in venue.closed_days if row.day >= today]


def close_day(venue_id: int, day: date, reason: str, *, actor_id: int) -> CalendarChange:
    """Close the venue on `day` (an exceptional closure), audited; its free slots are deleted and the
    booked ones withdrawn (`follow_calendar` lists the orders to tell). Flushes.

    :raise ValidationFailed: a day in the past or too far ahead, a reason too long.
    :raise DomainError: (409) the day is already closed.
    """
    reason = reason.strip()
    venue = _venue(venue_id)
    today = venue_today(zone=ZoneInfo(venue.timezone))
    if day < today:
        raise ValidationFailed(str(_l("Ce jour est passé.")), fields={"day": str(_l("Choisissez un jour à venir."))})
    if (day - today).days > 366:
        raise ValidationFailed(str(_l("Ce jour est trop loin.")), fields={"day": str(_l("Au plus un an à l'avance."))})
    if len(reason) > 120:
        raise ValidationFailed(str(_l("Le motif est trop long.")),
                               fields={"reason": str(_l("120 caractères au plus."))})
    if any(row.day == day for row in venue.closed_days):
        raise DomainError(str(_l("Le lieu est déjà fermé ce jour-là.")), code="already_closed",
                            fields={"day": str(_l("Déjà fermé."))})
    venue.closed_days.append(ClosedDay(day=day, reason=reason))
    _audit("venue.closed_day", "", f"{day.isoformat()} {reason}".strip(), actor_id)
    db.session.flush()
    return follow_calendar()


def reopen_day(venue_id: int, closed_day_id: int, *, actor_id: int) -> CalendarChange:
    """Cancel an exceptional closure, audited; the day's slots are offered again. Flushes.

    :raise NotFoundError: no such closure at this venue.
    """
    venue = _venue(venue_id)
    row = next((r for r in venue.closed_days if r.id == closed_day_id), None)
    if row is None:
        raise NotFoundError(str(_l("Cette fermeture n'existe pas.")))
    venue.closed_days.remove(row)
    _audit("venue.closed_day", f"{row.day.isoformat()} {row.reason}".strip(), "", actor_id)
    db.session.flush()
    return follow_calendar()


def recent_changes(limit: int = 50) -> list[SettingChange]:
    return list(db.session.scalars(select(SettingChange).order_by(SettingChange.id.desc()).limit(limit)))
