"""Photo uploads: checked by content, size-limited, bomb-proof, re-encoded, served with cache headers."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.conftest import csrf_token, text_of


@pytest.fixture
def product(catalog, make_user):  # type: ignore[no-untyped-def]
    alice = make_user(email="alice@example.org", roles=("shopkeeper",))
    shop = catalog.shop("boutique-a", "Boutique A", staff=(alice,))
    return catalog.product(shop, "A-1", "Tarte aux pommes")


def _png(width: int = 640, height: int = 480) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def _upload(client, product_id, data, name="photo.jpg"):  # type: ignore[no-untyped-def]
    page = f"/ma-boutique/boutique-a/produits/{product_id}"
    return client.post(f"{page}/photo", content_type="multipart/form-data",
                       data={"csrf_token": csrf_token(client, page), "image": (io.BytesIO(data), name)})


def test_upload_is_resized_reencoded_and_served_with_cache_headers(app, client, auth, catalog, product):
    auth.login("alice@example.org")

    response = _upload(client, product, _png(), name="photo.exe")

    assert response.status_code == 302
    image_path = next(row for row in catalog.snapshot() if row[0] == product)[10]
    assert image_path.startswith("products/")
    served = client.get(f"/media/{image_path}-400.jpg")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert Image.open(io.BytesIO(served.data)).size == (400, 300)
    api = client.get(f"/api/v1/products/{product}").json
    assert api["image_url"] == f"/media/{image_path}-400.jpg"
    assert f'src="/media/{image_path}-1200.jpg"' in text_of(client.get(f"/produits/{product}"))


def _bomb() -> bytes:
    # A tiny PNG that claims 20 000 × 20 000 pixels: 400 megapixels once decoded.
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "message"), [
    (b"%PDF-1.4 pas une image", "n'est pas une image lisible"),
    (b"GIF89a" + b"\x00" * 20, "n'est pas une image lisible"),
    (_png()[:200], "n'est pas une image lisible"),
    (b"\xff\xd8" + b"x" * (6 * 1024 * 1024), "dépasse la taille autorisée"),
    (_bomb(), "trop de pixels"),
])
def test_bad_uploads_are_refused_with_a_clear_message(client, auth, catalog, product, data, message):
    auth.login("alice@example.org")
    before = catalog.snapshot()

    response = _upload(client, product, data)

    assert response.status_code == 422
    assert message in text_of(response)
    assert catalog.snapshot() == before


def test_media_route_does_not_escape_the_media_folder(client):
    assert client.get("/media/../secret_key").status_code == 404
    assert client.get("/media/products/absent-400.jpg").status_code == 404
