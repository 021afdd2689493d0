"""Integer-cents money. Every rounding rule of the project lives here."""

from __future__ import annotations

from flask import has_app_context

from shopapp.core.i18n import current_locale


def format_cents(cents: int, currency: str = "EUR", locale: str | None = None) -> str:
    """`450` → `4,50 €` in French, `€4.50` in English; never goes through floats."""
    lang = locale or (str(current_locale()) if _has_babel_context() else "fr")
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    symbol = "€" if currency == "EUR" else currency
    if lang.startswith("en"):
        return f"{sign}{symbol}{units:,}.{rest:02d}"
    grouped = f"{units:,}".replace(",", "\u202f")
    return f"{sign}{grouped},{rest:02d}\u00a0{symbol}"


def _has_babel_context() -> bool:
    return has_app_context()


def rate_of(amount_cents: int, rate_bps: int) -> int:
    """`amount × rate` with rates in basis points, rounded half-up to the cent (amounts ≥ 0)."""
    if amount_cents < 0 or rate_bps < 0:
        raise ValueError("amount and rate must be non-negative")
    return (amount_cents * rate_bps + 5_000) // 10_000


BPS_SCALE = 10_000


def split_commission(amount_cents: int, rate_bps: int) -> tuple[int, int]:
    """Split an amount received into `(commission_cents, payout_cents)`.

    The commission is `amount × rate` rounded half-up to the cent (the one rounding rule); the payout is
    the remainder, so `commission + payout == amount` always, and both are ≥ 0 for 0 ≤ rate ≤ 10 000.
    :raise ValueError: negative amount, or a rate outside 0…10 000 bps.
    """
    if not 0 <= rate_bps <= BPS_SCALE:
        raise ValueError("rate must be between 0 and 10000 basis points")
    commission = rate_of(amount_cents, rate_bps)
    return commission, amount_cents - commission


def vat_on(amount_cents: int, rate_bps: int) -> int:
    """VAT charged on a net amount, rounded half-up to the cent (`vat_on(1005, 2000) == 201`).

    :raise ValueError: negative amount or rate.
    """
    return rate_of(amount_cents, rate_bps)


def allocate_proportionally(total_cents: int, weights: list[int]) -> list[int]:
    """Share `total_cents` out in proportion to `weights`, to the cent, summing exactly to the total.

    Largest-remainder method: each share is first rounded down, then the cents left over go one each to
    the shares with the largest remainders (ties to the earliest weight), so the result is
    deterministic. Used to spread a partial refund over lines or shop parts.
    :raise ValueError: negative total or weight, no weights, or a non-zero total on all-zero weights.
    """
    if total_cents < 0 or any(w < 0 for w in weights):
        raise ValueError("total and weights must be non-negative")
    if not weights:
        raise ValueError("at least one weight is needed")
    weight_sum = sum(weights)
    if weight_sum == 0:
        if total_cents:
            raise ValueError("cannot allocate a non-zero total over zero weights")
        return [0] * len(weights)
    shares = []
    remainders = []
    for index, weight in enumerate(weights):
        share, remainder = divmod(total_cents * weight, weight_sum)
        shares.append(share)
        remainders.append((-remainder, index))
    left = total_cents - sum(shares)
    for _, index in sorted(remainders)[:left]:
        shares[index] += 1
    return shares


def vat_within(ttc_cents: int, rate_bps: int) -> int:
    """The VAT included in a price with taxes, rounded half-up to the cent (`vat_within(1000, 2000) == 167`).

    `ttc × rate / (1 + rate)`: the net amount is the rest (`ttc − vat`), so net + VAT == TTC always.
    :raise ValueError: negative amount or rate.
    """
    if ttc_cents < 0 or rate_bps < 0:
        raise ValueError("amount and rate must be non-negative")
    base = BPS_SCALE + rate_bps
    return (2 * ttc_cents * rate_bps + base) // (2 * base)
