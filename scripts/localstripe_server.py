"""Run localstripe (a fake, stateful Stripe API from PyPI) on HOST:PORT, for tests and the demo.

Usage: python scripts/localstripe_server.py HOST PORT [STATE_FILE] [--resume]

localstripe's own CLI (`localstripe --port N`) binds to '::', that is every interface of the machine;
this wrapper builds the same aiohttp app (`localstripe.server.app`, as `start()` does) and serves it on
the address given, 127.0.0.1 in tests. localstripe also pickles its whole store to the fixed path
/tmp/localstripe.pickle after every write, which two instances running at once (two test backends,
two engineers) would share; the store is pointed at STATE_FILE (default: a file named after the port
in the temp folder) and not loaded at start, so each instance starts empty and owns its file — except
with `--resume` (the demo): the store is reloaded from STATE_FILE, so that orders waiting for a card
payment can still be paid after the demo is restarted.
State is reset over HTTP with `DELETE /_config/data` (localstripe's flush endpoint).

One gap of localstripe is filled here (`allow_retry_after_decline`): it keeps a PaymentIntent's failed
charge for ever, so after a declined card the intent can never be confirmed again ("Bad request"),
whereas Stripe lets the customer attach another card and confirm again.
"""

from __future__ import annotations

import logging
import pickle
import sys
import tempfile
from pathlib import Path


def allow_retry_after_decline() -> None:
    """Attaching a new payment method to an intent whose last charge failed forgets that charge, so the
    intent is `requires_confirmation` again, as on Stripe (localstripe otherwise refuses any retry)."""
    from localstripe import resources

    update = resources.PaymentIntent._api_update.__func__  # type: ignore[attr-defined]

    def _api_update(cls, id, **data):  # type: ignore[no-untyped-def]
        if "payment_method" in data:
            intent = cls._api_retrieve(id)
            if intent.latest_charge is not None and intent.latest_charge.status == "failed":
                intent.latest_charge = None
        return update(cls, id, **data)

    resources.PaymentIntent._api_update = classmethod(_api_update)  # type: ignore[method-assign,assignment]


def main(argv: list[str]) -> int:
    resume = "--resume" in argv[1:]
    argv = [arg for arg in argv if arg != "--resume"]
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    host, port = argv[1], int(argv[2])
    state_file = Path(argv[3]) if len(argv) == 4 else Path(tempfile.gettempdir()) / f"localstripe-{port}.pickle"

    from aiohttp import web
    from localstripe import resources, server

    def dump_to_disk(store: resources.Store) -> None:
        with state_file.open("wb") as handle:
            pickle.dump(dict(store), handle, protocol=pickle.HIGHEST_PROTOCOL)

    resources.Store.dump_to_disk = dump_to_disk  # type: ignore[method-assign]
    allow_retry_after_decline()
    if resume and state_file.exists():
        with state_file.open("rb") as handle:
            resources.store.update(pickle.load(handle))  # noqa: S301 - our own file, written above
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    web.run_app(server.app, host=host, port=port, print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
