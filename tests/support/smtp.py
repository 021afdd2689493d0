"""A real SMTP server for tests (aiosmtpd), recording what it receives.

`refuse_next(n)` answers 451 (temporary failure) to the next n messages, to test retries;
`refuse_recipient(address, reply)` answers `reply` (e.g. "550 5.1.1 Mailbox unavailable") at RCPT for
that address until `accept_recipient(address)`.
"""

from __future__ import annotations

import asyncio
import email
import socket
import threading
from email import policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Handler:
    def __init__(self, owner: RecordingSMTP):
        self.owner = owner

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
                          ) -> list[str]:
        with self.owner.lock:
            self.owner.sessions += 1  # one per SMTP connection (a client greets once per connection)
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        # A slow server, to catch a worker in the middle of a send (nothing is stored before DATA).
        if self.owner.rcpt_delay:
            self.owner.rcpt_waiting += 1
            self.owner.rcpt_waiting_most = max(self.owner.rcpt_waiting_most, self.owner.rcpt_waiting)
            try:
                await asyncio.sleep(self.owner.rcpt_delay)
            finally:
                self.owner.rcpt_waiting -= 1
        with self.owner.lock:
            refusal = self.owner.refused_recipients.get(address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.owner.on_data is not None:  # what a test looks at when a message's data has arrived
            self.owner.on_data(server, envelope)
        with self.owner.lock:
            if self.owner.refusals > 0:
                self.owner.refusals -= 1
                self.owner.refused += 1
                return "451 Try again later"
            message = email.message_from_bytes(envelope.content, policy=policy.default)
            self.owner.messages.append(message)  # type: ignore[arg-type]
            self.owner.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


class RecordingSMTP:
    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []  # each accepted message's MAIL FROM and RCPT TO
        self.lock = threading.Lock()
        self.refusals = 0
        self.refused = 0
        self.rcpt_delay = 0.0
        self.refused_recipients: dict[str, str] = {}
        # Clients inside the RCPT delay right now: a crash test kills the worker there, in the middle of a
        # message's envelope (killing before the previous one is recorded as sent may repeat that one, by design).
        self.rcpt_waiting = 0
        self.rcpt_waiting_most = 0  # the most clients ever inside it at once (messages sent side by side)
        # SMTP sessions opened (EHLO greetings): how many connections the messages came over.
        self.sessions = 0
        self.on_data: Any = None
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def refuse_next(self, count: int) -> None:
        with self.lock:
            self.refusals = count

    def refuse_recipient(self, address: str, reply: str = "550 5.1.1 Mailbox unavailable") -> None:
        with self.lock:
            self.refused_recipients[address] = reply

    def accept_recipient(self, address: str) -> None:
        with self.lock:
            self.refused_recipients.pop(address, None)

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]
