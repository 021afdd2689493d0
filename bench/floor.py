"""The catalog floor: a bare Flask app answering each page with the very bytes the real app answered
(captured by bench/catalog.py), served by gunicorn like the app. The fastest any page of that size can
be served this way; the catalog rows are measured against it.

BENCH_FLOOR_PAGES names a manifest written by the catalog bench: `{"pages": {"<path?query>":
{"file": "...", "content_type": "..."}}, "any_product": "<path>"}`; a product page not captured
(`/produits/<id>`, the Zipf row) gets the captured product page.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from flask import Flask, Response, request

PRODUCT = re.compile(r"^/produits/\d+$")


def make_app() -> Flask:
    manifest = json.loads(Path(os.environ["BENCH_FLOOR_PAGES"]).read_text())
    pages = {path: (Path(page["file"]).read_bytes(), page["content_type"]) for path, page in manifest["pages"].items()}
    any_product = pages[manifest["any_product"]]
    app = Flask(__name__)

    @app.get("/")
    @app.get("/<path:_path>")
    def page(_path: str = "") -> Response:
        key = request.full_path.rstrip("?")
        found = pages.get(key) or (any_product if PRODUCT.match(request.path) else None)
        if found is None:
            return Response(b"not captured", status=404)
        return Response(found[0], content_type=found[1])

    return app
