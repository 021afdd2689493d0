"""The checkout floor: a minimal Flask + psycopg endpoint doing the checkout's writes in one transaction
and nothing else — the conditional stock updates (in product order), the conditional slot update, the
order, its parts (one per shop) and lines, and one outbox row — on the same tables as the app. Served by
gunicorn like the app, driven by the same wrk script (bench/lua/checkout.lua) at the same concurrency.

What it does not do is the app's work beyond those writes: no token lookup (the resident's basket is known
from the bearer token through a file written by bench/checkout.py: BENCH_FLOOR_BASKETS), no reads, no
validation, no answer beyond the order's id.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, request

STOCK = ("UPDATE stock_record SET allocated = allocated + %s "
         "WHERE product_id = %s AND on_hand - allocated >= %s")
SLOT = ("UPDATE pickup_slot SET booked = booked + 1 "
        "WHERE id = %s AND booked < capacity AND withdrawn IS FALSE")
ORDER = ("INSERT INTO customer_order (number, pickup_code, user_id, pickup_slot_id, status, payment_method, "
         "payment_status, paid_cents, total_cents, refund_due_cents, currency, created_at) "
         "VALUES (%s, %s, %s, %s, 'confirmed', 'at_pickup', 'due', 0, %s, 0, 'EUR', %s) RETURNING id")
PART = ("INSERT INTO order_part (order_id, shop_id, status, subtotal_cents, currency, commission_rate_bps, label) "
        "VALUES (%s, %s, 'received', %s, 'EUR', 1000, %s) RETURNING id")
LINE = ("INSERT INTO order_line (part_id, product_id, sku, name, unit, unit_price_cents, vat_rate_bp, quantity, "
        "line_total_cents) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)")
OUTBOX = ("INSERT INTO outbox_job (task_name, payload, status, attempts, created_at) "
          "VALUES ('notices.order_confirmed', %s, 'pending', 0, %s)")


def _code(length: int) -> str:
    return secrets.token_hex(length)[:length].upper()


def make_app() -> Flask:
    import psycopg

    baskets: dict[str, dict[str, Any]] = json.loads(Path(os.environ["BENCH_FLOOR_BASKETS"]).read_text())
    url = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    connection: list[psycopg.Connection[Any]] = []  # one per gunicorn worker, opened after the fork
    app = Flask(__name__)

    @app.post("/api/v1/orders")
    def create_order() -> Response:
        if not connection:
            connection.append(psycopg.connect(url))
        conn = connection[0]
        basket = baskets[request.headers["Authorization"].removeprefix("Bearer ")]
        slot_id = int(request.get_json()["pickup_slot_id"])
        lines = sorted(basket["lines"], key=lambda line: line["product_id"])
        now = datetime.now(UTC)
        with conn.transaction(), conn.cursor() as cur:
            for line in lines:
                cur.execute(STOCK, (line["quantity"], line["product_id"], line["quantity"]))
                if cur.rowcount != 1:
                    raise _Conflict
            cur.execute(SLOT, (slot_id,))
            if cur.rowcount != 1:
                raise _Conflict
            total = sum(line["unit_price_cents"] * line["quantity"] for line in lines)
            cur.execute(ORDER, (f"AMC-F{_code(12)}", _code(8), basket["user_id"], slot_id, total, now))
            order_id = cur.fetchone()[0]  # type: ignore[index]
            for shop_id in sorted({line["shop_id"] for line in lines}):
                own = [line for line in lines if line["shop_id"] == shop_id]
                subtotal = sum(x["unit_price_cents"] * x["quantity"] for x in own)
                cur.execute(PART, (order_id, shop_id, subtotal, _code(8)))
                part_id = cur.fetchone()[0]  # type: ignore[index]
                cur.executemany(LINE, [(part_id, x["product_id"], x["sku"], x["name"], x["unit"], x["unit_price_cents"],
                                        x["vat_rate_bp"], x["quantity"], x["unit_price_cents"] * x["quantity"])
                                       for x in own])
            cur.execute(OUTBOX, (json.dumps({"order_id": order_id}), now))
        return Response(json.dumps({"id": order_id}), status=201, mimetype="application/json")

    @app.errorhandler(_Conflict)
    def conflict(_error: Exception) -> Response:
        return Response('{"error": {"code": "conflict"}}', status=409, mimetype="application/json")

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok")

    return app


class _Conflict(Exception):
    """Stock or slot taken: the transaction rolls back, 409."""
