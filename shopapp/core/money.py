"""Integer-cents money. Every rounding rule of the project lives here."""

from __future__ import annotations

from flask_babel import get_locale


def format_cents(cents: int, currency: str = "EUR", locale: str | None = None) -> str:
    """`450` → `4,50 €` in French, `€4.50` in English; never goes through floats."""
    lang = locale or (str(get_locale()) if _has_babel_context() else "fr")
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    symbol = "€" if currency == "EUR" else currency
    if lang.startswith("en"):
        return f"{sign}{symbol}{units:,}.{rest:02d}"
    grouped = f"{units:,}".replace(",", "\u202f")
    return f"{sign}{grouped},{rest:02d}\u00a0{symbol}"


def _has_babel_context() -> bool:
    from flask import has_app_context

    return has_app_context()


def rate_of(amount_cents: int, rate_bps: int) -> int:
    """`amount × rate` with rates in basis points, rounded half-up to the cent (amounts ≥ 0)."""
    if amount_cents < 0 or rate_bps < 0:
        raise ValueError("amount and rate must be non-negative")
    return (amount_cents * rate_bps + 5_000) // 10_000
