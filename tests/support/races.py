"""Real races: several transactions released at the same moment, each in its own thread and session."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def at_once(app: Any, actions: list[Callable[[], object]], timeout: float = 120) -> list[str]:
    """Run every action in its own thread and app context, all released together by a barrier; each
    commits on success and rolls back on failure. Returns the sorted outcomes: what the action returned
    when it is a string, else "ok"; a domain error's code; "crash: …" for anything else (a deadlock or a
    serialisation failure lands there)."""
    from shopapp.core.transaction import commit
    from shopapp.errors import DomainError
    from shopapp.extensions import db

    barrier = threading.Barrier(len(actions))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(action: Callable[[], object]) -> None:
        with app.app_context():
            barrier.wait()
            try:
                result = action()
                commit()
                outcome = result if isinstance(result, str) else "ok"
            except DomainError as error:
                db.session.rollback()
                outcome = error.code
            except Exception as error:
                db.session.rollback()
                outcome = f"crash: {error!r}"
            finally:
                db.session.remove()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return sorted(outcomes)
