"""The notices' floor: a plain `smtplib` loop, one process and one SMTP connection (as the worker keeps
its own), sending the very messages the worker rendered (kept by the sink, in a JSON file) to the same
sink, over and over, for a number of seconds. The worker bench counts what arrives at the sink.

`python -m bench.mail_floor <smtp port> <messages.json> <seconds>`
"""

from __future__ import annotations

import base64
import json
import smtplib
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    port, messages_file, seconds = int(argv[0]), Path(argv[1]), float(argv[2])
    messages = [(sender, base64.b64decode(content)) for sender, content in json.loads(messages_file.read_text())]
    deadline = time.monotonic() + seconds
    sent = 0
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        while time.monotonic() < deadline:
            sender, content = messages[sent % len(messages)]
            smtp.sendmail(sender, [f"floor-{sent}@bench.example.org"], content)
            sent += 1
    print(f"sent {sent}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
