"""Where a `next` field may send the browser back to: a path on this site, nothing else."""

from __future__ import annotations

import pytest

from shopapp.core.urls import safe_next


@pytest.mark.parametrize("target", ["/", "/panier", "/produits/12?page=2#avis"])
def test_a_path_on_this_site_is_kept(target):
    assert safe_next(target, "/accueil") == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "panier",
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",  # browsers read a backslash as a slash: "//evil.example"
        "/\\/evil.example",
        "/panier\\..\\..",
        "/\t/evil.example",
        "/\t/[evil",
    ],
)
def test_anything_that_could_leave_the_site_goes_to_the_default(target):
    assert safe_next(target, "/accueil") == "/accueil"
