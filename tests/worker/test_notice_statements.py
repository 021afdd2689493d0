"""A notice job with several recipients renders every message before the first claim: the claims commit,
which expires every loaded row, and a message rendered after one would reload the order, its parts and
lines one lazy query at a time."""

from __future__ import annotations

from sqlalchemy import select

from shopapp.extensions import db
from shopapp.notices.models import NoticeLog
from shopapp.orders import notices as order_notices
from shopapp.orders.models import OrderPart
from tests.checkout.test_statement_budget import counted
from tests.orders.services import checkout, fill_basket

# The part's order id, its order with everything the message shows (one query), the shop's staff and
# its address (two), then for each of the two recipients its claim and 'sent' mark (it was 12: the
# second message, rendered after the first claim's commit, reloaded the order, its slot, venue and parts).
PART_JOB_BUDGET = 1 + 1 + 2 + 2 * 2


def test_a_shop_with_two_recipients_gets_both_without_reloading_the_order(app, town):  # type: ignore[no-untyped-def]
    fill_basket(app, town.resident_id, (town.bread, 2), (town.croissant, 1))
    order_id = checkout(app, town.resident_id, town.slot)
    with app.app_context():
        part_id = db.session.scalar(select(OrderPart.id).where(OrderPart.order_id == order_id))

    with counted(app) as statements, app.app_context():
        assert order_notices.send_part_to_prepare(part_id) == 2
        db.session.commit()

    work = [s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK"))]
    assert len(work) <= PART_JOB_BUDGET, "\n".join(work)
    with app.app_context():
        sent = db.session.scalars(select(NoticeLog.recipient).where(NoticeLog.event_key == f"part_to_prepare:{part_id}")
                                  .order_by(NoticeLog.recipient)).all()
    assert sent == ["aurore@example.org", "boutique-aurore@example.org"]
