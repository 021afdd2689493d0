"""Residents' receipts: VAT per rate from TTC prices, refunds and the final amount, who may see one, the
PDF, the API's receipt_url, and the "thank you, here is your receipt" notice sent once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from shopapp.core.money import vat_within
from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.orders import fulfilment
from shopapp.orders import notices as order_notices
from shopapp.orders.models import Order, OrderLine
from shopapp.payments import invoices, receipts, refunds, settlement
from tests.orders.conftest import World
from tests.orders.services import call, checkout, fill_basket
from tests.payments.test_invoices import pdf_info

PASSWORD = "motdepasse1"


@pytest.fixture
def world(app, make_user) -> World:  # type: ignore[no-untyped-def]
    return World(app, make_user)


def _order(app: Any, world: World, make_user: Any) -> dict[str, Any]:
    """A pay-at-pickup order from two shops, awkward prices over the three VAT rates."""
    baker = world.shop("Boulangerie Aurore")
    grocer = world.shop("Épicerie du Marché")
    products = [
        (world.product(baker, "Baguette", 133, vat_rate_bp=550), 3),
        (world.product(baker, "Jus de pomme", 199, vat_rate_bp=550), 7),
        (world.product(baker, "Sandwich", 457, vat_rate_bp=1000), 1),
        (world.product(baker, "Sac isotherme", 1001, vat_rate_bp=2000), 1),
        (world.product(grocer, "Bougie", 7, vat_rate_bp=2000), 3),
        (world.product(grocer, "Thé", 1, vat_rate_bp=550), 1),
        (world.product(grocer, "Plat cuisiné", 1999, vat_rate_bp=1000), 2),
    ]
    user = make_user(email="alice@example.org")
    fill_basket(app, user, *products)
    order_id = checkout(app, user, world.slot())
    with app.app_context():
        parts = [(p.id, p.shop_id) for p in db.session.get(Order, order_id).parts]
        invoices.save_identity(baker, name="Aurore SARL", address="1 rue du Four", siret="44306184100047",
                               vat_number="FR83443061841")
        commit()
    return {"order": order_id, "user": user, "parts": parts, "baker": baker, "grocer": grocer}


def _collect(app: Any, o: dict[str, Any]) -> None:
    for part_id, shop_id in o["parts"]:
        for status in ("preparing", "ready", "at_venue"):
            call(app, fulfilment.set_part_status, part_id, status, shop_id=shop_id, actor_id=None)
    assert call(app, fulfilment.collect_order, o["order"], actor_id=None, paid_via="cash") == o["order"]
    with app.app_context():  # the worker's `orders.order_collected` job
        settlement.settle_collected_order(o["order"])
        commit()


def test_vat_within_a_price_rounds_half_up_and_leaves_the_rest_as_net() -> None:
    assert vat_within(1000, 2000) == 167
    assert vat_within(211, 550) == 11  # 10.998…
    assert vat_within(0, 1000) == 0
    with pytest.raises(ValueError):
        vat_within(-1, 550)


def test_receipt_vat_per_rate_is_the_sum_of_its_lines(app, world, make_user, client, auth):  # type: ignore[no-untyped-def]
    o = _order(app, world, make_user)
    _collect(app, o)
    with app.test_request_context():
        found = receipts.receipt_for(db.session.get(Order, o["order"]))
        lines = [line for shop in found.shops for line in shop.lines]
        assert {row.rate_bp for row in found.vat_rows} == {550, 1000, 2000}
        for rows, its_lines in [(found.vat_rows, lines)] + [(s.vat_rows, s.lines) for s in found.shops]:
            for row in rows:
                at_rate = [line for line in its_lines if line.vat_rate_bp == row.rate_bp]
                assert row.vat_cents == sum(line.vat_cents for line in at_rate)
                assert row.ttc_cents == sum(line.total_cents for line in at_rate)
                assert row.ht_cents + row.vat_cents == row.ttc_cents
        for row in found.vat_rows:  # the whole receipt's rate = the shops' rows at that rate
            shop_rows = [r for s in found.shops for r in s.vat_rows if r.rate_bp == row.rate_bp]
            assert row.vat_cents == sum(r.vat_cents for r in shop_rows)
        total = db.session.get(Order, o["order"]).total_cents
        assert found.total_cents == total == found.paid_cents == found.final_cents
        # 3 × 1,33 + 7 × 1,99 at 5,5 %: 0,21 + 0,73 (line by line), not 0,94 recomputed on the sum
        assert found.shops[0].vat_rows[0].vat_cents == vat_within(399, 550) + vat_within(1393, 550)

    auth.login("alice@example.org")
    page = client.get(f"/mes-commandes/{o['order']}/recu")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Aurore SARL" in text and "SIRET : 44306184100047" in text and "FR83443061841" in text
    assert "Épicerie du Marché" in text and "Espèces" in text and "Plat cuisiné" in text
    assert f"/mes-commandes/{o['order']}/recu.pdf" in text
    order_page = client.get(f"/mes-commandes/{o['order']}").get_data(as_text=True)
    assert f"/mes-commandes/{o['order']}/recu" in order_page


def test_a_refund_shows_and_the_final_amount_is_what_was_kept(app, world, make_user, client, auth):  # type: ignore[no-untyped-def]
    o = _order(app, world, make_user)
    _collect(app, o)
    with app.app_context():
        line = db.session.scalar(select(OrderLine).where(OrderLine.name == "Plat cuisiné"))
        refunds.refund_order(o["order"], actor_id=None, reason="abîmé", line_quantities={line.id: 1})
        commit()
        total = db.session.get(Order, o["order"]).total_cents
    with app.test_request_context():
        found = receipts.receipt_for(db.session.get(Order, o["order"]))
        assert found.refunded_cents == 1999
        assert found.final_cents == total - 1999 == found.paid_cents - 1999

    auth.login("alice@example.org")
    text = client.get(f"/mes-commandes/{o['order']}/recu").get_data(as_text=True)
    assert "Remboursement" in text and "19,99" in text
    final = text.split("receipt-final", 1)[1]
    assert f"{(total - 1999) // 100},{(total - 1999) % 100:02d}" in final[:200]


def test_only_the_resident_and_the_venue_see_a_receipt_and_only_once_paid(app, world, make_user, client, auth):  # type: ignore[no-untyped-def]
    o = _order(app, world, make_user)
    make_user(email="bob@example.org")
    make_user(email="desk@example.org", roles=("venue",))
    path = f"/mes-commandes/{o['order']}/recu"

    assert client.get(path).status_code in (302, 401)  # anonymous: log in first
    auth.login("alice@example.org")
    assert client.get(path).status_code == 404  # nothing paid or collected yet
    assert client.get(f"/api/v1/orders/{o['order']}").get_json()["receipt_url"] is None
    _collect(app, o)
    assert client.get(path).status_code == 200
    assert client.get(f"/api/v1/orders/{o['order']}").get_json()["receipt_url"].endswith(path)
    auth.logout()

    auth.login("bob@example.org")
    assert client.get(path).status_code == 404
    assert client.get(path + ".pdf").status_code == 404
    assert client.get("/mes-commandes/999999/recu").status_code == 404
    auth.logout()

    auth.login("desk@example.org")
    assert client.get(path).status_code == 200


def test_the_receipt_pdf_is_a_pdf_naming_the_order(app, world, make_user, client, auth):  # type: ignore[no-untyped-def]
    o = _order(app, world, make_user)
    _collect(app, o)
    auth.login("alice@example.org")
    response = client.get(f"/mes-commandes/{o['order']}/recu.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    body = response.get_data()
    assert body.startswith(b"%PDF")
    with app.app_context():
        number = db.session.get(Order, o["order"]).number
    assert f"recu-{number}.pdf" in response.headers["Content-Disposition"]


def test_the_collected_notice_carries_the_receipt_link_once(app, world, make_user, mail_outbox):  # type: ignore[no-untyped-def]
    o = _order(app, world, make_user)
    with app.app_context():
        assert order_notices.send_order_receipt(o["order"]) == 0  # not collected yet: nothing
    _collect(app, o)
    with app.app_context():
        assert order_notices.send_order_receipt(o["order"]) == 1
        assert order_notices.send_order_receipt(o["order"]) == 0  # a redelivered job sends nothing
    sent = [m for m in mail_outbox() if "reçu" in str(m["Subject"])]
    assert len(sent) == 1 and sent[0]["To"] == "alice@example.org"
    body = sent[0].get_body(preferencelist=("plain",)).get_content()
    assert f"/mes-commandes/{o['order']}/recu" in body and f"/mes-commandes/{o['order']}/recu.pdf" in body


def test_the_collected_notice_attaches_the_receipt_pdf_over_real_smtp(app, world, make_user,
                                                                     smtp_server):  # type: ignore[no-untyped-def]
    """Sent by the worker's job through a real SMTP server (aiosmtpd): the message carries the receipt as
    an application/pdf attachment with a French filename, and the file is a PDF naming the order."""
    from shopapp.payments import receipt_mail
    from worker.tasks.notices import order_receipt

    o = _order(app, world, make_user)
    _collect(app, o)
    with app.app_context():
        number = db.session.get(Order, o["order"]).number
        order_receipt.run(order_id=o["order"])  # the job's body, as the worker runs it
        assert receipt_mail.send_receipt_notice(o["order"]) == 0  # a redelivered job sends nothing
        commit()

    received = [m for m in smtp_server.messages if "reçu" in str(m["Subject"])]
    assert len(received) == 1 and received[0]["To"] == "alice@example.org"
    files = list(received[0].iter_attachments())
    assert [(f.get_content_type(), f.get_filename()) for f in files] == [("application/pdf", f"recu-{number}.pdf")]
    content = files[0].get_content()
    assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
    # It parses as far as its structure goes: startxref points at the cross-reference table, one page at
    # least, and the document's title names the order.
    offset = int(content.rstrip().rsplit(b"startxref", 1)[1].split()[0])
    assert content[offset:offset + 4] == b"xref" and b"/Type /Page" in content
    assert pdf_info(content)["Title"] == f"Reçu de la commande {number}"
    body = received[0].get_body(preferencelist=("plain",)).get_content()
    assert "Le reçu est aussi joint à ce message, en PDF." in body


_RENDER_MANY = """
import re, sys
from pathlib import Path
from shopapp.payments import pdf

def rss_mib():
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"^VmRSS:\\s+(\\d+) kB", status, re.MULTILINE).group(1)) / 1024

html, static = Path(sys.argv[1]).read_text(), Path(sys.argv[2])
for _ in range(40):  # warm-up: fonts, styles and layout caches filled (flat after about 30)
    pdf.html_to_pdf(html, static)
before = rss_mib()
for _ in range(60):
    assert pdf.html_to_pdf(html, static).startswith(b"%PDF")
print(rss_mib() - before)
"""


@pytest.mark.skipif(not __import__("os").path.exists("/proc/self/status"), reason="reads VmRSS from /proc (Linux)")
def test_rendering_many_receipt_pdfs_does_not_grow_the_process(app, world, make_user,
                                                               tmp_path):  # type: ignore[no-untyped-def]
    """A worker attaches a receipt to every 'collected' e-mail all day long. WeasyPrint left to itself
    makes a new font configuration per document and a process grew by about 0.25 MiB per PDF (15 MiB
    over these 60); with one configuration kept per thread it stays flat. Measured in a fresh process, so
    that what the rest of the suite allocated does not blur the figure."""
    import subprocess
    import sys

    from shopapp.payments import pdf

    o = _order(app, world, make_user)
    _collect(app, o)
    with app.app_context(), app.test_request_context():
        html = pdf.receipt_html(receipts.receipt_for(db.session.get_one(Order, o["order"])))
    (tmp_path / "receipt.html").write_text(html)
    done = subprocess.run([sys.executable, "-c", _RENDER_MANY, str(tmp_path / "receipt.html"), app.static_folder],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    grown = float(done.stdout.strip().splitlines()[-1])
    assert grown < 5, f"grew {grown:.1f} MiB over 60 receipts"


def test_the_pdf_reads_its_style_sheet_from_the_static_folder_and_nothing_else(app, world, make_user, caplog,
                                                                                tmp_path):  # type: ignore[no-untyped-def]
    """The receipt links /static/css/receipt.css like the page: WeasyPrint reads it from the static folder
    without a word in the logs; any other address (network or disk) is refused, not fetched."""
    import logging

    from shopapp.payments import pdf

    o = _order(app, world, make_user)
    _collect(app, o)
    with app.app_context(), app.test_request_context():
        with caplog.at_level(logging.ERROR, logger="weasyprint"):
            assert pdf.receipt_pdf(receipts.receipt_for(db.session.get_one(Order, o["order"]))).startswith(b"%PDF")
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []

        secret = tmp_path / "secret.css"
        secret.write_text("body { color: red }")
        html = (f'<link rel="stylesheet" href="file://{secret}"><link rel="stylesheet" href="/static/../{secret.name}">'
                '<p>x</p>')
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="weasyprint"):
            pdf.html_to_pdf(html, Path(app.static_folder))
        refused = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(refused) == 2 and all("only reads the static folder" in m for m in refused), refused
