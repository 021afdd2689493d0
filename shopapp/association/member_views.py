"""The association's members (admins only): the list page, its CSV export and the JSON API."""

from __future__ import annotations

from flask import Blueprint, Response, render_template
from pydantic import BaseModel

from shopapp.accounts.access import role_required
from shopapp.accounts.models import Role
from shopapp.association import members
from shopapp.core.api import documented, respond
from shopapp.core.clock import venue_today
from shopapp.members import services as fees

bp = Blueprint("members", __name__)
admin_only = role_required(Role.ADMIN)


class MemberOut(BaseModel):
    id: int
    name: str
    email: str
    member_since: str
    animations_attended: int
    # This year's fee: "card" or "desk" once paid, None while due (or when no fee is asked).
    fee_paid_via: str | None = None


class MemberList(BaseModel):
    items: list[MemberOut]


@bp.get("/association/membres")
@admin_only
def page():  # type: ignore[no-untyped-def]
    year = venue_today().year
    return render_template("association/members.html", members=members.member_list(), year=year,
                           fees=fees.fees_paid_by(year))


@bp.get("/association/membres.csv")
@admin_only
def export_csv():  # type: ignore[no-untyped-def]
    year = venue_today().year
    return Response(members.csv_document(members.member_list(), fees.fees_paid_by(year), year), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="membres.csv"', "Cache-Control": "no-store"})


@bp.get("/api/v1/association/members")
@admin_only
@documented("The association's members, with the date they joined and the animations they attended",
            response=MemberList, auth="bearer")
def api_list():  # type: ignore[no-untyped-def]
    paid = fees.fees_paid_by(venue_today().year)
    return respond(MemberList(items=[
        MemberOut(id=m.id, name=m.name, email=m.email, member_since=m.member_since.isoformat(),
                  animations_attended=m.animations_attended,
                  fee_paid_via=paid[m.id].method if m.id in paid else None) for m in members.member_list()]))
