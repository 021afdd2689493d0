"""`flask setup`: a town installed from nothing, once, with an admin who chooses a password by a link."""

from __future__ import annotations

import re
from datetime import time

from sqlalchemy import func, select

from shopapp.accounts.models import User
from shopapp.catalog.categories import DEFAULT_CATEGORIES
from shopapp.catalog.models import Category
from shopapp.extensions import db
from shopapp.venue.models import Venue
from tests.conftest import csrf_token

FLAGS = ["setup", "--town", "Montargis", "--venue-name", "Le Grenier", "--venue-address",
         "2 rue de la Poterie, 45200 Montargis", "--admin-email", "Presidente@Commerces.example.fr"]


def _counts(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        return tuple(db.session.scalar(select(func.count(model.id))) for model in (Venue, Category, User))


def test_setup_installs_the_town_and_the_admin_chooses_a_password_by_the_printed_link(app, runner, client, auth):
    result = runner.invoke(args=FLAGS)

    assert result.exit_code == 0, result.output
    link = re.search(r"^http://127\.0\.0\.1:5000(/mot-de-passe/reinitialiser/\S+)$", result.output, re.M).group(1)
    with app.app_context():
        venue = db.session.scalar(select(Venue))
        assert (venue.town, venue.name, venue.address, venue.timezone) == (
            "Montargis", "Le Grenier", "2 rue de la Poterie, 45200 Montargis", "Europe/Paris")
        assert [(h.weekday, h.opens, h.closes) for h in venue.opening_hours] == [
            (3, time(16), time(19)), (5, time(16), time(19)), (6, time(9, 30), time(12, 30))]
        admin = db.session.scalar(select(User))
        assert (admin.email, admin.roles) == ("presidente@commerces.example.fr", ["admin"])
    assert _counts(app) == (1, len(DEFAULT_CATEGORIES), 1)
    assert auth.login("presidente@commerces.example.fr", "demo1234").status_code == 422

    chosen = client.post(link, data={"password": "Lavande-et-miel-45", "confirm": "Lavande-et-miel-45",
                                     "csrf_token": csrf_token(client, link)})
    logged_in = auth.login("presidente@commerces.example.fr", "Lavande-et-miel-45")
    used_again = client.post(link, data={"password": "Autre-mot-de-passe-45", "confirm": "Autre-mot-de-passe-45",
                                         "csrf_token": csrf_token(client, link)})

    assert chosen.status_code == 302
    assert logged_in.status_code == 302
    assert client.get("/association/reglages").status_code == 200
    assert used_again.status_code == 422  # the link served once


def test_setup_run_again_changes_nothing_and_says_so(app, runner):
    runner.invoke(args=FLAGS)
    before = _counts(app)

    again = runner.invoke(args=[*FLAGS[:2], "Ailleurs", *FLAGS[3:]])

    assert again.exit_code == 0
    assert again.output.strip() == "Already set up (Le Grenier): nothing changed."
    assert _counts(app) == before


def test_setup_without_a_terminal_names_the_missing_flag_and_creates_nothing(app, runner):
    missing = runner.invoke(args=FLAGS[:5])
    bad_zone = runner.invoke(args=[*FLAGS, "--timezone", "Europe/Atlantide"])

    assert missing.exit_code != 0 and "missing --venue-address" in missing.output
    assert bad_zone.exit_code != 0 and "Fuseau horaire inconnu : Europe/Atlantide." in bad_zone.output
    assert _counts(app) == (0, 0, 0)
