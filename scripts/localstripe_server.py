"""Run localstripe (a fake, stateful Stripe API from PyPI) on HOST:PORT, for tests and the demo.

Usage: python scripts/localstripe_server.py HOST PORT [STATE_FILE]

localstripe's own CLI (`localstripe --port N`) binds to '::', that is every interface of the machine;
this wrapper builds the same aiohttp app (`localstripe.server.app`, as `start()` does) and serves it on
the address given, 127.0.0.1 in tests. localstripe also pickles its whole store to the fixed path
/tmp/localstripe.pickle after every write, which two instances running at once (two test backends,
two engineers) would share; the store is pointed at STATE_FILE (default: a file named after the port
in the temp folder) and never loaded at start, so each instance starts empty and owns its file.
State is reset over HTTP with `DELETE /_config/data` (localstripe's flush endpoint).
"""

from __future__ import annotations

import logging
import pickle
import sys
import tempfile
from pathlib import Path


def main(argv: list[str]) -> int:
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
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    web.run_app(server.app, host=host, port=port, print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
