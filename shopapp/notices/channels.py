"""Delivery channels behind one interface: e-mail (SMTP or the outbox folder) and SMS (log only for now)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from shopapp.core import mail

log = logging.getLogger("shopapp.sms")


@dataclass(frozen=True)
class Sms:
    to: str
    text: str


def send_sms(message: Sms) -> None:
    """The log-only SMS backend: writes the message to the structured log. A provider plugs in here."""
    log.info("sms", extra={"to": message.to, "text": message.text})


def deliver(message: mail.Mail | Sms) -> None:
    """Send through the channel matching the message type.

    :raise mail.TemporaryMailError: the channel refused for now (the task retries).
    :raise mail.PermanentMailError: the channel refused for good (recorded as failed, never retried by itself).
    """
    if isinstance(message, Sms):
        send_sms(message)
    else:
        mail.send(message)
