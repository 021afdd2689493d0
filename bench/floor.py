"""The floor: a bare Flask app returning a precomputed body of a given size (GET /<size>)."""

from __future__ import annotations

from functools import cache

from flask import Flask, Response


@cache
def _body(size: int) -> bytes:
    return b"x" * size


def make_app() -> Flask:
    app = Flask(__name__)

    @app.get("/<int:size>")
    def body(size: int) -> Response:
        return Response(_body(size), mimetype="application/json")

    return app
