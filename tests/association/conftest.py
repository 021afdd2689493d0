"""Association fixtures: an admin, a submitted application, and running outbox e-mail jobs in-process."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from shopapp.core.outbox import OutboxJob
from shopapp.extensions import db
from tests.conftest import csrf_token

VALID_SIRET = "73282932000074"
APPLICATION = {
    "shop_name": "Fromagerie Lucas", "trade": "Fromagerie", "address": "12 rue des Halles",
    "siret": VALID_SIRET, "sells": "Fromages affinés sur place", "contact_name": "Lucas Martin",
    "email": "lucas@example.org", "phone": "06 12 34 56 78",
}


@pytest.fixture
def admin(make_user, auth) -> int:  # type: ignore[no-untyped-def]
    """An admin, logged in on `client`."""
    user_id = make_user(email="admin@example.org", name="Alice Admin", roles=("admin",))
    auth.login("admin@example.org")
    return user_id


def apply(client: Any, **changes: str) -> Any:
    """Post the public application form (with the given fields changed)."""
    data = {**APPLICATION, **changes, "csrf_token": csrf_token(client, "/rejoindre")}
    return client.post("/rejoindre", data=data)


def post(client: Any, path: str, data: dict[str, Any] | None = None, token_page: str = "/compte") -> Any:
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, token_page)})


@pytest.fixture
def run_jobs(app):  # type: ignore[no-untyped-def]
    """Run the pending association outbox jobs through their real Celery tasks, in this process."""

    def run() -> list[str]:
        with app.app_context():
            jobs = db.session.scalars(
                select(OutboxJob).where(OutboxJob.task_name.like("association.%"), OutboxJob.status != "done")
                .order_by(OutboxJob.id)
            ).all()
            work = [(job.task_name, {**job.payload, "outbox_job_id": job.id}) for job in jobs]
            db.session.remove()
        for name, kwargs in work:
            app.extensions["celery"].tasks[name].apply(kwargs=kwargs).get()
        return [name for name, _ in work]

    return run


def link_in(message: Any) -> str:
    """The path of the first link to our site in an e-mail's text."""
    text = message.get_body(("plain",)).get_content()
    match = re.search(r"https?://[^/\s]+(/\S+)", text)
    assert match, text
    return match.group(1)
