"""Slugs: one rule for shops, products and the demo town, each caller with its own limit and fallback."""

from __future__ import annotations

import pytest

from shopapp.core.text import slugify


@pytest.mark.parametrize(
    ("value", "options", "expected"),
    [
        ("Fromagerie Lucas & Fils", {}, "fromagerie-lucas-fils"),
        ("  Crème brûlée — maison ", {}, "creme-brulee-maison"),
        ("Pain de campagne", {"max_length": 7}, "pain-de"),
        ("!!!", {"fallback": "boutique"}, "boutique"),
        ("!!!", {}, ""),
    ],
)
def test_slugify(value, options, expected):
    assert slugify(value, **options) == expected
