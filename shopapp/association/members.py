"""The association's member list: who, since when (the venue's local date), and how many animations each
member attended (checked in at the desk; animations cancelled afterwards do not count); the CSV adds this
year's fee (amount, date, by card or at the desk). Read-only."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from sqlalchemy import distinct, func, select

from shopapp.accounts.models import User
from shopapp.animations.models import Animation, AnimationStatus, Registration, RegistrationStatus
from shopapp.core.clock import venue_time
from shopapp.extensions import db
from shopapp.members.models import FeeMethod, Membership, MembershipFee


@dataclass(frozen=True)
class MemberRow:
    id: int
    name: str
    email: str
    member_since: date
    animations_attended: int


def member_list() -> list[MemberRow]:
    """Every member, oldest membership first."""
    attended = (
        select(Registration.user_id.label("user_id"), func.count(distinct(Registration.animation_id)).label("n"))
        .join(Animation, Animation.id == Registration.animation_id)
        .where(Registration.checked_in_at.is_not(None), Registration.status != RegistrationStatus.CANCELLED,
               Animation.status != AnimationStatus.CANCELLED)
        .group_by(Registration.user_id).subquery()
    )
    rows = db.session.execute(
        select(User.id, User.name, User.email, Membership.joined_at, func.coalesce(attended.c.n, 0))
        .join(Membership, Membership.user_id == User.id)
        .outerjoin(attended, attended.c.user_id == User.id)
        .order_by(Membership.joined_at, User.id)
    ).all()
    return [MemberRow(id=user_id, name=name, email=email, member_since=venue_time(joined).date(),
                      animations_attended=int(count)) for user_id, name, email, joined, count in rows]


CSV_COLUMNS = ("nom", "e-mail", "membre depuis", "animations suivies")
FEE_METHODS = {FeeMethod.CARD: "carte", FeeMethod.DESK: "comptoir"}


def fee_columns(year: int) -> tuple[str, ...]:
    """The fee's columns of the CSV: what was paid for `year` (euros), when, and how."""
    return (f"cotisation {year}", "cotisation réglée le", "cotisation réglée par")


def _cell(text: str) -> str:
    """A text a resident typed, made inert for spreadsheets (no formula: `=`, `+`, `-`, `@` lead)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _fee_cells(fee: MembershipFee | None) -> list[str]:
    if fee is None:
        return ["", "", ""]
    return [f"{fee.amount_cents // 100},{fee.amount_cents % 100:02d}", venue_time(fee.paid_at).strftime("%d/%m/%Y"),
            FEE_METHODS.get(FeeMethod(fee.method), fee.method)]


def csv_document(members: list[MemberRow], fees: dict[int, MembershipFee], year: int) -> str:
    """The member list as CSV for French spreadsheets: `;` between fields, dates as JJ/MM/AAAA, amounts as
    `15,00`, BOM first. `fees` are `year`'s fees received, by member: paid (amount, date, "carte" or
    "comptoir"), or three empty cells while due."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS + fee_columns(year))
    for member in members:
        writer.writerow([_cell(member.name), _cell(member.email), member.member_since.strftime("%d/%m/%Y"),
                         member.animations_attended, *_fee_cells(fees.get(member.id))])
    return "\ufeff" + out.getvalue()
