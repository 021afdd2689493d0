"""Standing orders: the beat's sweep that turns due dates into orders, and the resident's notice."""

from __future__ import annotations

import logging

from celery import shared_task

from shopapp.core.mail import TemporaryMailError
from shopapp.core.transaction import commit
from shopapp.errors import DomainError
from shopapp.extensions import db
from shopapp.payments.gateway import PaymentGatewayError
from shopapp.standing import notices as standing_notices
from shopapp.standing import occurrences
from worker.tasks.base import outbox_task

log = logging.getLogger(__name__)

PLACE_DUE_TASK = "standing.place_due_occurrences"


@shared_task(name=PLACE_DUE_TASK)
def place_due_occurrences_task() -> int:
    """Each due date of each active standing order becomes an order (or a told skip), one transaction
    per date: one resident's trouble never rolls back another's. Idempotent: a date already handled
    (by this beat, or another one running at the same time) is claimed once. Returns dates handled."""
    handled = 0
    for item in occurrences.due():
        try:
            done = occurrences.run(item.standing_order_id, item.pickup_date)
        except (PaymentGatewayError, DomainError) as exc:
            # Stripe unreachable, or a rule refused what the service did not foresee: nothing is kept for
            # this date, the other residents' dates go on, and the next beat tries again while it is due.
            db.session.rollback()
            log.warning("standing occurrence postponed", extra={"standing_order_id": item.standing_order_id,
                                                                "error": str(exc)})
            continue
        commit()
        handled += int(done is not None)
    return handled


@outbox_task(occurrences.OCCURRENCE_NOTICE_TASK, retry_on=(TemporaryMailError,))
def standing_occurrence(occurrence_id: int) -> None:
    standing_notices.send_occurrence_notice(occurrence_id)
