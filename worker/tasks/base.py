"""`outbox_task`: the shape every outbox-driven task shares.

A task takes ids only. It skips a job already done, calls its domain service (which checks state
and flushes), marks the outbox job done and commits once (with the 'sent' mark of its last notice).
Temporary failures (listed per task) are retried with exponential backoff; after the last try the job
is marked failed for staff to see.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from typing import Any

from celery import shared_task

from shopapp.core import outbox
from shopapp.core.transaction import commit
from shopapp.extensions import db
from shopapp.notices import services as notices
from shopapp.notices.services import NoticeBusy

log = logging.getLogger(__name__)

# Every outbox task's service, by task name: what a batch runs for each of its jobs.
_SERVICES: dict[str, Callable[..., Any]] = {}
# Optional, by task name: given the payloads of a batch's jobs of that task, a context inside which their
# services find what they read loaded already (one query for the batch instead of one per job).
_READ_TOGETHER: dict[str, Callable[[list[dict[str, Any]]], AbstractContextManager[Any]]] = {}


def outbox_task(
    name: str, *, retry_on: tuple[type[BaseException], ...] = (), max_retries: int = 5,
    read_together: Callable[[list[dict[str, Any]]], AbstractContextManager[Any]] | None = None,
) -> Callable[[Callable[..., Any]], Any]:
    def decorate(service_call: Callable[..., Any]) -> Any:
        _SERVICES[name] = service_call
        if read_together is not None:
            _READ_TOGETHER[name] = read_together

        @shared_task(name=name, bind=True, acks_late=True, max_retries=max_retries)
        @functools.wraps(service_call)
        def run(self: Any, outbox_job_id: int | None = None, **ids: Any) -> None:
            if outbox_job_id is not None and not outbox.should_run(outbox_job_id, name, ids):
                return
            token = outbox.set_current_job_id(outbox_job_id)
            try:
                # The last notice's 'sent' mark goes in the single commit below, with the job's 'done'.
                with notices.sent_marks_committed_by_caller():
                    try:
                        service_call(**ids)
                    except BaseException:
                        notices.commit_pending_sent_marks()  # rolls back, but keeps the record of what was sent
                        raise
            except (*retry_on, NoticeBusy) as exc:
                db.session.rollback()
                if self.request.retries >= max_retries:
                    log.error("task failed for good", extra={"task": name, "job_id": outbox_job_id})
                    if outbox_job_id is not None:
                        error = f"{type(exc).__name__}: {exc}"
                        outbox.mark_failed(outbox_job_id, error)
                        notices.mark_failed_for_job(outbox_job_id, error)
                        commit()
                    return
                raise self.retry(exc=exc, countdown=min(2 ** self.request.retries, 60))
            finally:
                outbox.reset_current_job_id(token)
            if outbox_job_id is not None:
                outbox.mark_done(outbox_job_id)
            commit()

        return run

    return decorate


@shared_task(name=outbox.BATCH_TASK, bind=True, acks_late=True)
def run_batch(self: Any, job_ids: list[int]) -> int:
    """Run a batch of outbox jobs (the notices of a commit, or a sweep's backlog) in one task.

    The jobs are claimed with one statement. What the services of a task read can be read for all its
    jobs at once (`outbox_task(read_together=…)`). Each job's service then runs as its own task would, except
    that its messages are rendered and queued (`notices.queued_for_batch`: the batched services write
    nothing else). Then every queued notice is claimed with one statement and one commit, the messages go
    out over this process's one SMTP connection (`notices.send_queued`, exactly once per recipient), and
    every job done is marked with one UPDATE in the final commit. A job that fails for now (its service
    raised, the mail server refused a message for now, another worker is sending one) is handed to its
    own task, which retries it with backoff. Returns how many jobs were done.
    """
    claimed = outbox.claim_batch(job_ids)
    ran: dict[int, tuple[str, dict[str, Any]]] = {}
    with ExitStack() as together, notices.queued_for_batch() as queued:
        for name in sorted({name for _job_id, name, _payload in claimed} & set(_READ_TOGETHER)):
            together.enter_context(_READ_TOGETHER[name]([payload for _id, n, payload in claimed if n == name]))
        for job_id, name, payload in claimed:
            service_call = _SERVICES.get(name)
            if service_call is None:
                outbox.publish_now(job_id, name, payload)
                commit()
                continue
            token = outbox.set_current_job_id(job_id)
            before = len(queued)
            try:
                service_call(**payload)
            except Exception:
                del queued[before:]  # nothing of this job goes out with the batch
                db.session.rollback()
                log.warning("batched job handed to its own task", exc_info=True,
                            extra={"task": name, "job_id": job_id})
                outbox.publish_now(job_id, name, payload)
                commit()
            else:
                ran[job_id] = (name, payload)
            finally:
                outbox.reset_current_job_id(token)
    for job_id in sorted(notices.send_queued(queued) & set(ran)):
        log.warning("batched job handed to its own task", extra={"task": ran[job_id][0], "job_id": job_id})
        outbox.publish_now(job_id, *ran.pop(job_id))
    outbox.mark_done_many(sorted(ran))
    commit()
    return len(ran)
