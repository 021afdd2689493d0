"""Outgoing e-mail: SMTP in production and tests, an outbox folder in the embedded demo."""

from __future__ import annotations

import smtplib
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app


class TemporaryMailError(Exception):
    """The mail server could not take the message now; the caller may retry later."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str
    subtype: str


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str | None = None
    attachments: tuple[Attachment, ...] = field(default=())


def build_message(mail: Mail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain="adopte-mon-commercant.fr")
    message.set_content(mail.text)
    if mail.html:
        message.add_alternative(mail.html, subtype="html")
    for attachment in mail.attachments:
        message.add_attachment(
            attachment.content,
            maintype=attachment.maintype,
            subtype=attachment.subtype,
            filename=attachment.filename,
            # Text attachments (an .ics invitation) are UTF-8; without the parameter MIME reads them as ASCII.
            params={"charset": "utf-8"} if attachment.maintype == "text" else None,
        )
    return message


def send(mail: Mail) -> None:
    """Deliver one message through the configured backend.

    :raise TemporaryMailError: the SMTP server refused for now (4xx) or could not be reached.
    """
    message = build_message(mail)
    if current_app.config["MAIL_BACKEND"] == "outbox":
        _write_to_outbox(message)
        return
    try:
        with smtplib.SMTP(current_app.config["MAIL_SERVER"], current_app.config["MAIL_PORT"], timeout=10) as smtp:
            if current_app.config["MAIL_USE_TLS"]:
                smtp.starttls()
            if current_app.config["MAIL_USERNAME"]:
                smtp.login(current_app.config["MAIL_USERNAME"], current_app.config["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise TemporaryMailError(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
        raise
    except (OSError, smtplib.SMTPServerDisconnected) as exc:
        raise TemporaryMailError(repr(exc)) from exc


def outbox_dir() -> Path:
    return Path(current_app.config["MAIL_OUTBOX_DIR"])


def _write_to_outbox(message: EmailMessage) -> None:
    folder = outbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    name = f"{stamp}-{message['Message-ID'].strip('<>').split('@')[0]}.eml"
    (folder / name).write_bytes(bytes(message))


def list_outbox(limit: int = 100) -> list[dict[str, str]]:
    """The newest messages written to the outbox folder, for the staff page."""
    import email
    from email import policy

    folder = outbox_dir()
    if not folder.exists():
        return []
    items = []
    for path in sorted(folder.glob("*.eml"), reverse=True)[:limit]:
        parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        items.append(
            {
                "name": path.name,
                "to": str(parsed["To"]),
                "subject": str(parsed["Subject"]),
                "text": body.get_content() if body is not None else "",  # type: ignore[union-attr]
            }
        )
    return items
