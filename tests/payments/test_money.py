"""Rounding rules of shopapp/core/money.py: exact cents, one rounding rule, sums always match."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopapp.core.money import allocate_proportionally, format_cents, rate_of, split_commission, vat_on


@pytest.mark.parametrize(
    ("amount", "rate", "commission", "payout"),
    [
        (1000, 1000, 100, 900),
        (1005, 1000, 101, 904),  # 100.5 → 101 (half-up)
        (1004, 1000, 100, 904),  # 100.4 → 100
        (1, 5000, 1, 0),  # 0.5 → 1
        (0, 1000, 0, 0),
        (999, 0, 0, 999),
        (999, 10_000, 999, 0),
        (1250, 850, 106, 1144),  # 106.25 → 106
    ],
)
def test_split_commission_rounds_half_up_and_sums_exactly(amount: int, rate: int, commission: int, payout: int) -> None:
    assert split_commission(amount, rate) == (commission, payout)


@pytest.mark.parametrize(("amount", "rate"), [(-1, 1000), (100, -1), (100, 10_001)])
def test_split_commission_refuses_out_of_range(amount: int, rate: int) -> None:
    with pytest.raises(ValueError):
        split_commission(amount, rate)


@pytest.mark.parametrize(("amount", "vat"), [(100, 20), (101, 20), (103, 21), (1005, 201), (2, 0), (3, 1)])
def test_vat_on_twenty_percent_rounds_half_up(amount: int, vat: int) -> None:
    assert vat_on(amount, 2000) == vat


@pytest.mark.parametrize(
    ("total", "weights", "shares"),
    [
        (100, [1, 1, 1], [34, 33, 33]),  # the left-over cent goes to the first of equal remainders
        (1000, [500, 300, 200], [500, 300, 200]),
        (10, [3, 3, 4], [3, 3, 4]),
        (7, [1, 2], [2, 5]),  # 2.33 / 4.67 → the larger remainder takes the cent
        (0, [1, 2], [0, 0]),
        (5, [0, 1], [0, 5]),
        (0, [0, 0], [0, 0]),
    ],
)
def test_allocate_proportionally_exact(total: int, weights: list[int], shares: list[int]) -> None:
    assert allocate_proportionally(total, weights) == shares


@pytest.mark.parametrize(("total", "weights"), [(-1, [1]), (1, [-1]), (1, []), (1, [0, 0])])
def test_allocate_proportionally_refuses_bad_input(total: int, weights: list[int]) -> None:
    with pytest.raises(ValueError):
        allocate_proportionally(total, weights)


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=10_000))
def test_split_commission_property(amount: int, rate: int) -> None:
    commission, payout = split_commission(amount, rate)
    assert commission + payout == amount
    assert commission >= 0 and payout >= 0
    # Half-up: the commission is within half a cent of the exact value.
    assert abs(commission * 10_000 - amount * rate) <= 5_000


@given(
    st.integers(min_value=0, max_value=10**8),
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30).filter(lambda w: sum(w) > 0),
)
def test_allocate_proportionally_property(total: int, weights: list[int]) -> None:
    shares = allocate_proportionally(total, weights)
    assert sum(shares) == total
    assert all(share >= 0 for share in shares)
    assert all(share == 0 for share, weight in zip(shares, weights, strict=True) if weight == 0)
    # Each share is within one cent of its exact proportion.
    weight_sum = sum(weights)
    pairs = zip(shares, weights, strict=True)
    assert all(abs(share * weight_sum - total * weight) < weight_sum for share, weight in pairs)


def test_existing_helpers_still_work() -> None:
    assert rate_of(1005, 1000) == 101
    assert format_cents(450, locale="fr") == "4,50\u00a0€"
