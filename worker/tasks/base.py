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


def outbox_task(
    name: str, *, retry_on: tuple[type[BaseException], ...] = (), max_retries: int = 5
) -> Callable[[Callable[..., Any]], Any]:
    def decorate(service_call: Callable[..., Any]) -> Any:
        _SERVICES[name] = service_call

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

    The jobs are claimed with one statement; each job's service then runs as its own task would
    (`notices.send_once` keeps each message exactly-once: its claim is committed before the message goes,
    and that commit also carries the previous message's 'sent' mark), the messages go out over this
    process's one SMTP connection, and every job done is marked with one UPDATE in the final commit. A job
    that fails for now (mail server busy, another worker sending) is handed to its own task, which retries
    it with backoff. Returns how many jobs were done.
    """
    done: list[int] = []
    for job_id, name, payload in outbox.claim_batch(job_ids):
        service_call = _SERVICES.get(name)
        if service_call is None:
            outbox.publish_now(job_id, name, payload)
            commit()
            continue
        token = outbox.set_current_job_id(job_id)
        try:
            with notices.sent_marks_committed_by_caller():
                service_call(**payload)
        except Exception:
            # Keeps the record of what was sent (and rolls back the rest), then lets the job's own task
            # retry it with backoff, or fail it for staff after its last try.
            notices.commit_pending_sent_marks()
            log.warning("batched job handed to its own task", exc_info=True, extra={"task": name, "job_id": job_id})
            outbox.publish_now(job_id, name, payload)
            commit()
        else:
            done.append(job_id)
        finally:
            outbox.reset_current_job_id(token)
    outbox.mark_done_many(done)
    commit()
    return len(done)
