"""Delivery channels behind one interface: e-mail (SMTP or the outbox folder) and SMS (an HTTP provider).

SMS go out only when a provider is configured (`SMS_API_URL`): without one, residents are not offered
SMS (`sms_enabled`) and no SMS notice is created. Nothing here logs a phone number or a message text:
the text carries the pickup code.
"""

from __future__ import annotations

import http.client
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app

from shopapp.core import mail

log = logging.getLogger("shopapp.sms")


@dataclass(frozen=True)
class Sms:
    to: str
    text: str


class SmsTemporaryError(mail.TemporaryMailError):
    """The SMS provider could not take the message now (5xx, timeout, unreachable): the task retries."""


class SmsPermanentError(mail.PermanentMailError):
    """The SMS provider refused the message for good (4xx): recorded as failed, never retried by itself."""


def sms_enabled() -> bool:
    """Whether an SMS provider is configured: without one, SMS are neither offered nor sent."""
    return bool(current_app.config.get("SMS_API_URL"))


def send_sms(message: Sms, *, event_key: str | None = None) -> None:
    """POST the message to the provider as JSON {"to", "text", "sender"} with the bearer token.

    :raise SmsTemporaryError: a 5xx answer, a timeout or no connection.
    :raise SmsPermanentError: a 4xx answer, or no provider configured.
    """
    config = current_app.config
    url = config.get("SMS_API_URL")
    if not url or not url.startswith(("https://", "http://")):
        raise SmsPermanentError("no SMS provider configured (SMS_API_URL must be an http(s) address)")
    body = json.dumps({"to": message.to, "text": message.text, "sender": config.get("SMS_SENDER")}).encode()
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if config.get("SMS_API_TOKEN"):
        headers["Authorization"] = f"Bearer {config['SMS_API_TOKEN']}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (scheme checked)
    try:
        with urllib.request.urlopen(request, timeout=config.get("SMS_TIMEOUT", 10)) as response:  # noqa: S310 (scheme checked)
            status = response.status
    except urllib.error.HTTPError as exc:
        # The status only: a provider's error body may quote the number, and this text reaches the logs.
        detail = f"SMS provider answered {exc.code}"
        if 400 <= exc.code < 500:
            raise SmsPermanentError(detail) from exc
        raise SmsTemporaryError(detail) from exc
    except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, resets
        raise SmsTemporaryError(f"SMS provider unreachable: {type(exc).__name__}") from exc
    if not 200 <= status < 300:  # 1xx/3xx left unfollowed: not an acceptance
        raise SmsTemporaryError(f"SMS provider answered {status}")
    log.info("sms sent", extra={"event_key": event_key, "status": status})


def deliver(message: mail.Mail | Sms, *, event_key: str | None = None,
            before_data: Callable[[], None] | None = None) -> None:
    """Send through the channel matching the message type (`event_key` only names the notice in logs).
    `before_data()` runs just before the message itself goes (see `mail.send`).

    :raise mail.TemporaryMailError: the channel refused for now (the task retries).
    :raise mail.PermanentMailError: the channel refused for good (recorded as failed, never retried by itself).
    """
    if isinstance(message, Sms):
        if before_data is not None:
            before_data()
        send_sms(message, event_key=event_key)
    else:
        mail.send(message, before_data=before_data)
