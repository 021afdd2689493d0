"""A service's field errors shown next to a form's fields."""

from __future__ import annotations

import pytest
from wtforms import Form, IntegerField, StringField

from shopapp.core.forms import report_errors
from shopapp.errors import DomainError


class _ProductForm(Form):
    name = StringField()
    price = IntegerField()


def _form() -> _ProductForm:
    form = _ProductForm()
    form.validate()
    return form


def test_errors_go_next_to_their_fields_through_the_aliases():
    form = _form()

    report_errors(form, DomainError("Invalide.", fields={"name": "Trop long.", "price_cents": "Négatif."}),
                  aliases={"price_cents": "price"})

    assert (form.name.errors, form.price.errors) == (["Trop long."], ["Négatif."])


def test_without_a_fallback_an_error_with_no_field_on_the_form_is_raised_again():
    form = _form()
    error = DomainError("Déjà pris.", fields={"sku": "Référence déjà utilisée."})

    with pytest.raises(DomainError) as raised:
        report_errors(form, error)

    assert raised.value is error


def test_the_fallback_field_takes_the_errors_that_have_no_field():
    form = _form()

    report_errors(form, DomainError("Référence déjà utilisée.", fields={"sku": "Déjà utilisée."}), fallback="name")
    report_errors(form, DomainError("Boutique suspendue."), fallback="name")

    assert form.name.errors == ["Déjà utilisée.", "Boutique suspendue."]
