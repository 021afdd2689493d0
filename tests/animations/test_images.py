"""Animation images: uploaded by venue staff or a proposing shop, checked by content through the
catalog's image pipeline, shown on the agenda, the animation page and in the API."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from shopapp.animations.models import Animation
from shopapp.extensions import db
from tests.conftest import csrf_token, text_of
from tests.support.images import BAD_UPLOADS, media_files, png

DAY = date.today() + timedelta(days=3)  # inside the agenda's window
FIELDS = {
    "kind": "tasting",
    "description": "Venez goûter.",
    "starts_at": f"{DAY}T18:00",
    "ends_at": f"{DAY}T20:00",
    "capacity": "12",
    "audience": "everyone",
}


def _post(client, path, title, image=None, **extra):  # type: ignore[no-untyped-def]
    data = {"csrf_token": csrf_token(client, path), "title": title, **FIELDS, **extra}
    if image is not None:
        data["image"] = (io.BytesIO(image), "affiche.pdf")  # the name and type are ignored
    return client.post(path, data=data, content_type="multipart/form-data")


def _rows(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        return [
            (a.id, a.title, a.status, a.image_path)
            for a in db.session.scalars(select(Animation).order_by(Animation.id))
        ]


def _publish(app, animation_id, staff_id):  # type: ignore[no-untyped-def]
    from shopapp.animations import services
    from shopapp.core.transaction import commit

    with app.app_context():
        services.publish_animation(animation_id, actor_id=staff_id)
        commit()


def test_venue_uploads_an_image_shown_on_the_agenda_the_page_and_the_api(app, client, auth, animations):
    staff = animations.staff_id
    auth.login("venue@example.org")

    created = _post(client, "/lieu/animations/nouvelle", "Dégustation de comtés", png())

    assert created.status_code == 302
    [(animation_id, _title, _status, image_path)] = _rows(app)
    assert re.fullmatch(r"animations/[0-9a-f]{32}", image_path)
    _publish(app, animation_id, staff)
    served = client.get(f"/media/{image_path}-400.jpg")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert Image.open(io.BytesIO(served.data)).size == (400, 300)
    agenda = text_of(client.get("/agenda"))
    assert f'<img class="animation-image" src="/media/{image_path}-400.jpg" alt=""' in agenda
    page = text_of(client.get(f"/agenda/{animation_id}"))
    assert f'src="/media/{image_path}-1200.jpg"' in page and 'alt=""' in page
    assert client.get(f"/api/v1/animations/{animation_id}").json["image_url"] == f"/media/{image_path}-400.jpg"
    listed = client.get(f"/api/v1/animations?from={DAY}&to={DAY}").json["items"]
    assert [item["image_url"] for item in listed] == [f"/media/{image_path}-400.jpg"]


def test_an_edit_keeps_replaces_or_removes_the_image_and_an_api_edit_keeps_it(app, client, auth, animations):
    _staff = animations.staff_id
    auth.login("venue@example.org")
    _post(client, "/lieu/animations/nouvelle", "Atelier pain", png())
    [(animation_id, _title, _status, first)] = _rows(app)
    page = f"/lieu/animations/{animation_id}"
    assert f'src="/media/{first}-400.jpg"' in text_of(client.get(page))

    kept = _post(client, page, "Atelier pain au levain")
    after_keep = _rows(app)[0]
    api_edit = client.patch(
        f"/api/v1/venue/animations/{animation_id}",
        json={"capacity": 15},
        headers={"X-CSRFToken": csrf_token(client, page)},
    )
    after_api = _rows(app)[0]
    replaced = _post(client, page, "Atelier pain au levain", png(300, 300))
    after_replace = _rows(app)[0]
    removed = _post(client, page, "Atelier pain au levain", remove_image="y")

    assert kept.status_code == 302 and after_keep[1:] == ("Atelier pain au levain", "draft", first)
    assert api_edit.status_code == 200 and api_edit.json["image_url"] == f"/media/{first}-400.jpg"
    assert after_api[3] == first
    assert replaced.status_code == 302 and after_replace[3] not in (None, first)
    assert removed.status_code == 302 and _rows(app)[0][3] is None
    assert client.get(f"/api/v1/animations/{animation_id}").status_code == 404  # still a draft


@pytest.mark.parametrize(("data", "message"), [case[1:] for case in BAD_UPLOADS], ids=[c[0] for c in BAD_UPLOADS])
def test_venue_forms_refuse_a_bad_image_and_change_nothing(app, client, auth, animations, data, message):
    _staff = animations.staff_id
    auth.login("venue@example.org")
    _post(client, "/lieu/animations/nouvelle", "Repair café", png())
    page = f"/lieu/animations/{_rows(app)[0][0]}"
    before, files = _rows(app), media_files(app.instance_path)

    edit = _post(client, page, "Repair café du samedi", data)
    create = _post(client, "/lieu/animations/nouvelle", "Autre animation", data)

    for response in (edit, create):
        html = text_of(response)
        assert response.status_code == 422
        assert f'<p class="error" id="image-error"><span aria-hidden="true">⚠ </span>{message}</p>' in html
        assert f'<a href="#image">Image (JPEG, PNG ou WebP) : {message}</a>' in html  # the error summary
        assert '<label for="image">' in html
        assert 'aria-describedby="image-hint image-error" aria-invalid="true" id="image"' in html
    assert _rows(app) == before
    assert media_files(app.instance_path) == files


def test_a_shop_proposes_an_animation_with_an_image(app, client, auth, world, animations):
    shop = world.shop("Fromagerie Lucas", keeper="lucas@example.org")
    auth.login("lucas@example.org")

    sent = _post(client, "/boutique/animations", "Dégustation de chèvres", png())

    assert sent.status_code == 302
    [(_id, title, status, image_path)] = _rows(app)
    assert (title, status) == ("Dégustation de chèvres", "proposed")
    assert image_path.startswith("animations/")
    assert client.get(f"/media/{image_path}-200.jpg").status_code == 200
    with app.app_context():
        assert [s.id for s in db.session.get(Animation, _id).shops] == [shop]


@pytest.mark.parametrize(("data", "message"), [case[1:] for case in BAD_UPLOADS], ids=[c[0] for c in BAD_UPLOADS])
def test_a_shop_proposal_with_a_bad_image_is_refused(app, client, auth, world, data, message):
    world.shop("Fromagerie Lucas", keeper="lucas@example.org")
    auth.login("lucas@example.org")
    files = media_files(app.instance_path)

    sent = _post(client, "/boutique/animations", "Dégustation de chèvres", data)

    assert sent.status_code == 422
    assert f'id="image-error"><span aria-hidden="true">⚠ </span>{message}</p>' in text_of(sent)
    assert _rows(app) == []
    assert media_files(app.instance_path) == files
