"""Outgoing e-mail: SMTP in production and tests, an outbox folder in the embedded demo."""

from __future__ import annotations

import base64
import email
import functools
import os
import random
import re
import smtplib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.charset import BASE64, Charset
from email.header import Header
from email.utils import encode_rfc2231, formataddr, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from flask import current_app


class TemporaryMailError(Exception):
    """The mail server could not take the message now; the caller may retry later."""


class PermanentMailError(Exception):
    """The mail server refused the message for good (5xx, e.g. 550 mailbox unavailable): retrying the
    same message would be refused again; record the failure for staff instead."""


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
    # Extra headers, e.g. List-Unsubscribe on optional notices (RFC 8058).
    headers: tuple[tuple[str, str], ...] = field(default=())


# RFC 2047 encoded words in base64 only: the standard "utf-8" charset picks the shorter of base64 and
# quoted-printable, measuring both at every fold of every header.
_UTF8_HEADERS = Charset("utf-8")
_UTF8_HEADERS.header_encoding = BASE64
_CRLF = "\r\n"


def _header(name: str, value: str) -> str:
    """One header line. An ASCII value is written on one line (up to RFC 5322's 998 characters: a folded
    List-Unsubscribe URL reads back with a leading space in some parsers); any other value as RFC 2047
    encoded words, folded. A line break inside the value never ends the header early."""
    value = " ".join(value.splitlines())
    if value.isascii():
        if len(name) + len(value) < 996:
            return f"{name}: {value}{_CRLF}"
        # Longer: folded at its spaces, never as encoded words (an address or a URL would not read back).
        return f"{name}: {Header(value, 'us-ascii', header_name=name).encode(linesep=_CRLF)}{_CRLF}"
    return f"{name}: {_encoded_words(name, value)}{_CRLF}"


def _encoded_words(name: str, value: str) -> str:
    """`value` as RFC 2047 encoded words (UTF-8, base64), one per line of at most 76 characters, the first
    after the header's name; a character's bytes never split between two words (RFC 2047 §5). Mail readers
    read it back as they read the standard library's `Header`, which measured every character (some 40 µs
    for a notice's subject)."""
    data = value.encode("utf-8")
    words: list[str] = []
    start, room = 0, 76 - len(name) - 2
    while start < len(data):
        end = start + max(12, (room - 12) // 4 * 3)  # 12: "=?utf-8?b?" and "?="; 4 base64 characters, 3 bytes
        if end < len(data):
            while data[end] & 0xC0 == 0x80:  # a continuation byte: the character starts before it
                end -= 1
        words.append(f"=?utf-8?b?{base64.b64encode(data[start:end]).decode('ascii')}?=")
        start, room = end, 75  # the next lines start with one space
    return f"{_CRLF} ".join(words)


@functools.lru_cache(maxsize=8)
def _from_header(mail_from: str) -> str:
    """The From header line of MAIL_FROM (parsed and encoded once per process)."""
    name, address = parseaddr(mail_from)
    return f"From: {formataddr((name, address), charset=_UTF8_HEADERS)}{_CRLF}"


def _base64(content: bytes) -> bytes:
    """Base64 in lines of 76 characters, CRLF-ended (RFC 2045)."""
    return base64.encodebytes(content).replace(b"\n", b"\r\n")


def _text_part(content: str, subtype: str) -> tuple[str, bytes]:
    return (f'Content-Type: text/{subtype}; charset="utf-8"{_CRLF}Content-Transfer-Encoding: base64{_CRLF}',
            _base64(content.encode("utf-8")))


def _attachment_part(attachment: Attachment) -> tuple[str, bytes]:
    # Text attachments (an .ics invitation) are UTF-8; without the parameter MIME reads them as ASCII.
    charset = '; charset="utf-8"' if attachment.maintype == "text" else ""
    filename = attachment.filename
    plain = filename.isascii() and filename.isprintable() and '"' not in filename and "\\" not in filename
    disposition = f'filename="{filename}"' if plain else f"filename*={encode_rfc2231(filename, 'utf-8')}"  # RFC 2231
    return (f"Content-Type: {attachment.maintype}/{attachment.subtype}{charset}{_CRLF}"
            f"Content-Transfer-Encoding: base64{_CRLF}Content-Disposition: attachment; {disposition}{_CRLF}",
            _base64(attachment.content))


def _multipart(subtype: str, parts: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    # Every part is base64 (`_text_part`, `_attachment_part`), whose alphabet has no "_", and every header
    # line here is ours: this boundary can appear in no part.
    boundary = f"=_amc_{random.getrandbits(96):024x}"  # unique enough: nothing in the parts can match it anyway
    delimiter = f"--{boundary}{_CRLF}".encode()
    body = b"".join(delimiter + headers.encode() + b"\r\n" + content + b"\r\n" for headers, content in parts)
    return (f'Content-Type: multipart/{subtype}; boundary="{boundary}"{_CRLF}',
            body + f"--{boundary}--{_CRLF}".encode())


def message_bytes(mail: Mail) -> tuple[str, bytes]:
    """The MIME message of `mail` as it goes out (CRLF line ends), and its Message-ID: text (and its HTML
    alternative), then its attachments, every part UTF-8 and base64.

    Written here rather than built with the standard library's `email` classes and serialised by its
    generator, which cost a notice about a seventh of its time: a worker writes thousands in a row. Mail
    readers parse both the same way (the tests read them back with `email.policy.default`).
    """
    body = _text_part(mail.text, "plain")
    if mail.html:
        body = _multipart("alternative", [body, _text_part(mail.html, "html")])
    if mail.attachments:
        body = _multipart("mixed", [body, *(_attachment_part(a) for a in mail.attachments)])
    message_id = make_msgid(domain="adopte-mon-commercant.fr")
    head = [_from_header(current_app.config["MAIL_FROM"]), _header("To", mail.to), _header("Subject", mail.subject),
            _header("Message-ID", message_id), *(_header(name, value) for name, value in mail.headers),
            f"MIME-Version: 1.0{_CRLF}", body[0], _CRLF]
    return message_id, "".join(head).encode("ascii") + body[1]


def _envelope_sender() -> str:
    return _address_of(current_app.config["MAIL_FROM"])


@functools.lru_cache(maxsize=8)
def _address_of(mail_from: str) -> str:
    """The bare address of MAIL_FROM (parsed once per process)."""
    return parseaddr(mail_from)[1]


def send(mail: Mail, *, before_data: Callable[[], None] | None = None) -> None:
    """Deliver one message through the configured backend.

    SMTP connections are kept open and reused by the next message of the same thread (a worker
    sends thousands in a row); one found closed by the server is reopened once.
    `before_data()`, when given, runs once the envelope (MAIL FROM, RCPT TO) was accepted, just before
    the message itself goes (the server accepts a message only at the end of its data): a batch waits
    there for the previous message's record. What it raises goes up as is, the transaction reset.
    :raise TemporaryMailError: the SMTP server refused for now (4xx) or could not be reached.
    :raise PermanentMailError: the SMTP server refused for good (5xx: the recipient, the sender or the data).
    """
    message_id, content = message_bytes(mail)
    if current_app.config["MAIL_BACKEND"] == "outbox":
        if before_data is not None:
            before_data()
        _write_to_outbox(message_id, content)
        return
    for last_try in (False, True):
        reused = False
        try:
            connection, reused = _connection()
            connection.smtp.before_data, connection.smtp.data_started = before_data, False
            connection.smtp.sendmail(_envelope_sender(), [mail.to], content)
        except smtplib.SMTPRecipientsRefused as exc:  # every recipient refused at RCPT: {address: (code, text)}
            _close_connection()
            codes = [code for code, _text in exc.recipients.values()]
            detail = "; ".join(f"{address}: {code} {_reply(text)}" for address, (code, text) in exc.recipients.items())
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentMailError(detail) from exc
            raise TemporaryMailError(detail) from exc
        except smtplib.SMTPResponseException as exc:
            _close_connection()
            if reused and not last_try and exc.smtp_code == 421:  # an idle connection the server is closing
                continue
            if 500 <= exc.smtp_code < 600:
                raise PermanentMailError(f"{exc.smtp_code} {_reply(exc.smtp_error)}") from exc
            raise TemporaryMailError(f"{exc.smtp_code} {_reply(exc.smtp_error)}") from exc
        except (OSError, smtplib.SMTPException) as exc:  # disconnected, refused, timed out
            _close_connection()
            # Again on a new connection only when the content never went: a reply lost after it may hide a
            # message the server accepted.
            if reused and not last_try and not connection.smtp.data_started:
                continue
            raise TemporaryMailError(repr(exc)) from exc
        connection.last_used = time.monotonic()
        return


# Idle SMTP connections older than this are closed rather than reused: servers drop idle clients
# (RFC 5321 asks them to wait 5 minutes; many wait less).
SMTP_IDLE_REUSE_SECONDS = 30.0


# An address that is nothing but an addr-spec (no display name, comment, brackets or spaces): smtplib's
# quoteaddr gives `<address>` for it after parsing it with email.utils.parseaddr.
_BARE_ADDRESS = re.compile(r'[^\s<>()\[\],;:"\\@]+@[^\s<>()\[\],;:"\\@]+')


class _Smtp(smtplib.SMTP):
    """smtplib's client, with a step between the envelope and the data (`send`'s `before_data`), and the
    envelope's bare addresses written as they are: smtplib parses each one first (`quoteaddr`), some 28 µs a
    message that a worker sending thousands in a row spends for nothing."""

    before_data: Callable[[], None] | None = None
    data_started = False  # whether the current message's DATA went (`send` retries only before it)

    def mail(self, sender: str, options: Any = ()) -> tuple[int, bytes]:
        if options or not _BARE_ADDRESS.fullmatch(sender):
            return super().mail(sender, options)
        self.putcmd("mail", f"FROM:<{sender}>")
        return self.getreply()

    def rcpt(self, recip: str, options: Any = ()) -> tuple[int, bytes]:
        if options or not _BARE_ADDRESS.fullmatch(recip):
            return super().rcpt(recip, options)
        self.putcmd("rcpt", f"TO:<{recip}>")
        return self.getreply()

    def data(self, msg: Any) -> tuple[int, bytes]:  # smtplib types it as Buffer | str
        gate, self.before_data = self.before_data, None
        if gate is not None:
            try:
                gate()
            except BaseException:
                self._rset()  # type: ignore[attr-defined]  # the envelope given is dropped: the connection stays usable
                raise
        self.data_started = True
        return super().data(msg)


@dataclass
class _SmtpConnection:
    smtp: _Smtp
    settings: tuple[object, ...]
    pid: int
    last_used: float = 0.0


# One open connection per thread (a worker process sends from one thread; tests run several workers).
_connections: dict[int, _SmtpConnection] = {}
_connections_lock = threading.Lock()


def _connection() -> tuple[_SmtpConnection, bool]:
    """This thread's open SMTP connection to the configured server, or a new one; and whether it was reused.

    :raise OSError, smtplib.SMTPException: the server could not be reached or refused the session.
    """
    config = current_app.config
    settings = (config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_USE_TLS"], config["MAIL_USERNAME"],
                config["MAIL_PASSWORD"])
    current = _connections.get(threading.get_ident())
    if (current is not None and current.settings == settings and current.pid == os.getpid()
            and time.monotonic() - current.last_used < SMTP_IDLE_REUSE_SECONDS):
        return current, True
    _close_connection()
    smtp = _Smtp(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10)
    try:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
    except BaseException:
        smtp.close()
        raise
    opened = _SmtpConnection(smtp, settings, os.getpid(), last_used=time.monotonic())
    with _connections_lock:
        _connections[threading.get_ident()] = opened
    return opened, False


def _close(connection: _SmtpConnection) -> None:
    try:
        if connection.pid == os.getpid():  # a forked child never talks on its parent's socket
            connection.smtp.quit()
    except (OSError, smtplib.SMTPException):
        pass
    finally:
        connection.smtp.close()


def _close_connection() -> None:
    """Forget this thread's connection (QUIT if it still answers)."""
    with _connections_lock:
        connection = _connections.pop(threading.get_ident(), None)
    if connection is not None:
        _close(connection)


def close_connections() -> None:
    """Close every kept SMTP connection (worker shutdown; a test stopping its SMTP server)."""
    with _connections_lock:
        connections = list(_connections.values())
        _connections.clear()
    for connection in connections:
        _close(connection)


def _reply(text: bytes | str) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


def outbox_dir() -> Path:
    return Path(current_app.config["MAIL_OUTBOX_DIR"])


def _write_to_outbox(message_id: str, content: bytes) -> None:
    folder = outbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    name = f"{stamp}-{message_id.strip('<>').split('@')[0]}.eml"
    (folder / name).write_bytes(content)


def list_outbox(limit: int = 100) -> list[dict[str, str]]:
    """The newest messages written to the outbox folder, for the staff page."""

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
