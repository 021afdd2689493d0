"""Installing a town: the venue, the default categories and the association's first admin.

`flask setup` is the first command of a real installation (after `flask db upgrade`). The admin gets
no password: the command prints a one-time link to choose one, the same signed, expiring, single-use
link as a password reset. Running it again changes nothing and says so.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from shopapp.accounts.models import Role
from shopapp.accounts.services import get_user_by_email, make_reset_token, normalise_email, register_user
from shopapp.catalog.categories import create_default_categories
from shopapp.core.urls import public_url
from shopapp.errors import ValidationFailed
from shopapp.extensions import db
from shopapp.venue.models import OpeningHours, Venue

# Opening hours a new venue starts with (ISO weekday, opens, closes); the association edits them.
DEFAULT_OPENING_HOURS = [(3, time(16), time(19)), (5, time(16), time(19)), (6, time(9, 30), time(12, 30))]


@dataclass(frozen=True)
class TownSetup:
    town: str
    venue_name: str
    venue_address: str
    timezone: str
    admin_email: str


@dataclass(frozen=True)
class SetupResult:
    created: bool
    venue_name: str
    admin_email: str
    password_link: str | None  # shown once; None when the town was already set up


def _validated(data: TownSetup) -> TownSetup:
    fields = {name: "obligatoire" for name in ("town", "venue_name", "venue_address", "admin_email")
              if not str(getattr(data, name)).strip()}
    if fields:
        raise ValidationFailed("Renseignez " + ", ".join(sorted(fields)) + ".", fields=fields)
    try:
        ZoneInfo(data.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(f"Fuseau horaire inconnu : {data.timezone}.", fields={"timezone": "inconnu"})
    return TownSetup(data.town.strip(), data.venue_name.strip(), data.venue_address.strip(), data.timezone,
                     normalise_email(data.admin_email))


def set_up_town(data: TownSetup) -> SetupResult:
    """Create the venue (default opening hours), the default categories and the first admin, once.

    When a venue exists already nothing changes and the result says so (`created` False). Flushes.
    :raise ValidationFailed: a missing value, an unknown time zone or an invalid e-mail address.
    """
    existing = db.session.scalar(select(Venue).order_by(Venue.id).limit(1))
    if existing is not None:
        return SetupResult(False, existing.name, "", None)
    data = _validated(data)
    venue = Venue(name=data.venue_name, town=data.town, address=data.venue_address, timezone=data.timezone)
    venue.opening_hours = [OpeningHours(weekday=day, opens=opens, closes=closes)
                           for day, opens, closes in DEFAULT_OPENING_HOURS]
    db.session.add(venue)
    create_default_categories()
    admin = get_user_by_email(data.admin_email)
    if admin is None:
        # A password nobody knows: the admin chooses one through the link below.
        admin = register_user(data.admin_email, secrets.token_urlsafe(32), "Association des commerçants",
                              roles=(Role.ADMIN,), send_welcome=False)
    elif Role.ADMIN not in admin.roles:
        raise ValidationFailed("Ce compte existe déjà sans être administrateur.", fields={"admin_email": "existant"})
    db.session.flush()
    link = public_url("accounts.reset_password", token=make_reset_token(admin))
    return SetupResult(True, venue.name, admin.email, link)
