"""The impact dashboard (admins), its CSV export and printable monthly report, and the public /impact page."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from shopapp.accounts.access import public, role_required
from shopapp.accounts.models import Role
from shopapp.association import dashboard
from shopapp.association.charts import BarChart, bar_chart
from shopapp.association.dashboard import PICKUP_BUCKETS, Month, MonthFigures
from shopapp.core.clock import utcnow
from shopapp.venue.queries import current_venue

bp = Blueprint("dashboard", __name__)
admin_only = role_required(Role.ADMIN)


# -- number formatting (French by default; the CSV is always French) ---------------------------------


def _is_english() -> bool:
    return str(get_locale() or "fr").startswith("en")


def tenths(value: int | None, *, french: bool | None = None) -> str:
    """`333` tenths → `33,3` (French) / `33.3`; None → empty."""
    if value is None:
        return ""
    sign = "-" if value < 0 else ""
    whole, rest = divmod(abs(value), 10)
    separator = "," if (french if french is not None else not _is_english()) else "."
    return f"{sign}{whole}{separator}{rest}"


def euros_plain(cents: int) -> str:
    """`123450` → `1234,50`: what French spreadsheets read as a number."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole},{rest:02d}"


def euros_short(cents: int) -> str:
    """A bar's label: `850 €`, `1,2 k€` (rounded half up)."""
    euros = (cents + 50) // 100
    if abs(euros) < 1000:
        return f"{euros} €"
    return f"{tenths((euros + 50) // 100)} k€"


def month_label(month: Month, pattern: str = "MMMM yyyy") -> str:
    return format_date(month.first_day, pattern)


def bucket_label(low: int, high: int | None) -> str:
    if high is None:
        return _("%(n)s et plus", n=low)
    return str(low) if low == high else f"{low}–{high}"


def _bucket_column(low: int, high: int | None) -> str:
    """The CSV column of a pickups-per-slot bucket, in French: `créneaux à 1 retrait`, `… à 5–9 retraits`."""
    if high is None:
        return f"créneaux à {low} retraits ou plus"
    return f"créneaux à {bucket_label(low, high)} {'retrait' if high < 2 else 'retraits'}"


@bp.context_processor
def formatting() -> dict[str, Any]:
    return {"tenths": tenths, "month_label": month_label, "bucket_label": bucket_label,
            "pickup_buckets": PICKUP_BUCKETS}


# -- charts -------------------------------------------------------------------------------------------


def _trend_charts(figures: Sequence[MonthFigures], *, selected: int | None = None) -> dict[str, BarChart]:
    labels = [month_label(f.month, "MMM") for f in figures]
    years = [month_label(f.month, "yyyy") if i == 0 or f.month.month == 1 else "" for i, f in enumerate(figures)]
    first, last = month_label(figures[0].month), month_label(figures[-1].month)
    span = _("de %(first)s à %(last)s", first=first, last=last)
    orders = bar_chart(
        "chart-orders", _("Commandes par mois"),
        _("Nombre de commandes (hors annulées) par mois, %(span)s. Le tableau qui suit donne les valeurs.", span=span),
        [f.orders for f in figures], labels, [str(f.orders) for f in figures], sublabels=years, highlight=selected)
    turnover = bar_chart(
        "chart-turnover", _("Chiffre d’affaires des boutiques par mois"),
        _("Montant reçu par les boutiques chaque mois, %(span)s. Le tableau qui suit donne les valeurs.", span=span),
        [f.turnover_cents for f in figures], labels, [euros_short(f.turnover_cents) for f in figures],
        sublabels=years, highlight=selected)
    shares = [f.multi_shop_share.percent_tenths for f in figures]
    multi = bar_chart(
        "chart-multi", _("Part des paniers multi-boutiques"),
        _("Pourcentage des commandes passées dans au moins deux boutiques, par mois, %(span)s. "
          "Le tableau qui suit donne les valeurs.", span=span),
        [s or 0 for s in shares], labels, [f"{round((s or 0) / 10)} %" if s is not None else "" for s in shares],
        sublabels=years, highlight=selected, scale_max=1000)
    return {"orders": orders, "turnover": turnover, "multi": multi}


def _pickups_chart(figures: MonthFigures) -> BarChart:
    return bar_chart(
        "chart-pickups", _("Retraits par créneau, %(month)s", month=month_label(figures.month)),
        _("Nombre de créneaux utilisés selon le nombre de retraits qu’ils ont reçus, %(month)s. "
          "Le tableau qui suit donne les valeurs.", month=month_label(figures.month)),
        figures.pickups_per_slot, [bucket_label(low, high) for low, high in PICKUP_BUCKETS],
        [str(n) for n in figures.pickups_per_slot])


def _month_from_args() -> Month:
    text = request.args.get("month")
    return dashboard.current_month() if not text else dashboard.parse_month(text)


# -- admin pages --------------------------------------------------------------------------------------


@bp.get("/association/tableau-de-bord")
@admin_only
def page():  # type: ignore[no-untyped-def]
    month = _month_from_args()
    figures = dashboard.monthly_figures(dashboard.months_ending(month))
    selected = figures[-1]
    return render_template(
        "association/dashboard.html", month=month, figures=figures, selected=selected,
        charts=_trend_charts(figures, selected=len(figures) - 1), pickups_chart=_pickups_chart(selected),
        previous=dashboard.months_ending(month, 2)[0], next=_next_month(month),
    )


def _next_month(month: Month) -> Month | None:
    following = dashboard.month_of(month.year + month.month // 12, month.month % 12 + 1)
    return None if following.start > utcnow() else following


@bp.get("/association/rapport/<month_key>")
@admin_only
def report(month_key: str):  # type: ignore[no-untyped-def]
    month = dashboard.parse_month(month_key)
    figures = dashboard.monthly_figures(dashboard.months_ending(month))
    selected = figures[-1]
    return render_template(
        "association/report.html", month=month, figures=figures, selected=selected,
        charts=_trend_charts(figures, selected=len(figures) - 1), pickups_chart=_pickups_chart(selected),
        generated_at=utcnow(), venue_name=_venue_name(),
    )


def _venue_name() -> str:
    venue = current_venue()
    return venue.name if venue is not None else ""


CSV_COLUMNS = (
    "mois", "boutiques actives", "commandes", "paniers multi-boutiques", "part paniers multi-boutiques (%)",
    "chiffre d'affaires boutiques (€)", "commission (€)", "créneaux utilisés", "retraits",
    "retraits par créneau (moyenne)", *[_bucket_column(lo, hi) for lo, hi in PICKUP_BUCKETS],
    "participants aux animations", "dont entrées sans inscription", "comptes présents aux animations",
    "comptes présents ayant commandé après l'animation", "commandes retirées",
    "commandes non retirées", "taux de non-retrait (%)",
)


def csv_document(figures: Sequence[MonthFigures]) -> str:
    """The monthly figures as CSV for French spreadsheets: `;` between fields, decimal commas, BOM first."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for f in figures:
        writer.writerow([
            f.month.key, f.active_shops, f.orders, f.multi_shop_orders,
            tenths(f.multi_shop_share.percent_tenths, french=True), euros_plain(f.turnover_cents),
            euros_plain(f.commission_cents), f.slots_used, f.pickups, tenths(f.average_pickups_tenths, french=True),
            *f.pickups_per_slot, f.animation_attendees, f.walk_in_attendees, f.attendee_accounts,
            f.attendees_who_bought,
            f.collected_orders, f.no_shows, tenths(f.no_show_rate.percent_tenths, french=True),
        ])
    return "\ufeff" + out.getvalue()


@bp.get("/association/tableau-de-bord.csv")
@admin_only
def export_csv():  # type: ignore[no-untyped-def]
    last = dashboard.parse_month(request.args["to"], field_name="to") if request.args.get("to") \
        else dashboard.current_month()
    first = dashboard.parse_month(request.args["from"], field_name="from") if request.args.get("from") \
        else dashboard.months_ending(last)[0]
    figures = dashboard.monthly_figures(dashboard.months_between(first, last))
    filename = f"impact-{first.key}-{last.key}.csv"
    return Response(csv_document(figures), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


# -- public page --------------------------------------------------------------------------------------


@bp.get("/impact")
@public
def impact():  # type: ignore[no-untyped-def]
    summary = dashboard.public_summary()
    return render_template("main/impact.html", summary=summary, charts=_trend_charts(summary.months),
                           min_shops=dashboard.MIN_SHOPS_FOR_PUBLIC_MONEY,
                           timezone=current_app.config["VENUE_TIMEZONE"])
