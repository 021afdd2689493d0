"""The e-mail as it goes out (`mail.message_bytes`): what a mail reader parses back from it."""

from __future__ import annotations

import email
from email import policy
from typing import Any

import pytest

from shopapp.core import mail


def _read(content: bytes) -> Any:
    return email.message_from_bytes(content, policy=policy.default)


def test_a_message_reads_back_with_its_headers_alternatives_and_attachments(app: Any) -> None:
    text = "Bonjour Élodie,\nvotre commande AMC-1 est prête.\n" * 20
    html = "<p>Bonjour Élodie, votre commande est prête — à samedi !</p>" * 20
    invitation = "BEGIN:VCALENDAR\r\nSUMMARY:Retrait à la Halle\r\nEND:VCALENDAR\r\n".encode()
    picture = bytes(range(256)) * 3
    message = mail.Mail(
        to="elodie@example.org", subject="Votre commande AMC-1 est confirmée : retrait samedi à 10 h 30 à la Halle",
        text=text, html=html,
        attachments=(mail.Attachment("invitation.ics", invitation, "text", "calendar"),
                     mail.Attachment("reçu n°1.png", picture, "image", "png")),
        headers=(("List-Unsubscribe", "<https://example.org/desabonnement/" + "x" * 90 + ">"),
                 ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")))

    with app.app_context():
        message_id, content = mail.message_bytes(message)

    lines = content.split(b"\r\n")
    assert b"\n" not in content.replace(b"\r\n", b"") and b"\r" not in content.replace(b"\r\n", b"")  # CRLF only
    assert all(len(line) <= 998 for line in lines)  # RFC 5322's limit
    read = _read(content)
    assert read["Message-ID"] == message_id
    assert read["To"] == "elodie@example.org"
    assert read["Subject"] == message.subject
    assert read["From"].addresses[0].addr_spec == app.config["MAIL_FROM"].rpartition("<")[2].rstrip(">")
    # One line, unfolded, as RFC 8058 readers expect it.
    assert read["List-Unsubscribe"] == message.headers[0][1]
    assert read["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert read["MIME-Version"] == "1.0"
    assert read.get_content_type() == "multipart/mixed"
    assert read.get_body(preferencelist=("plain",)).get_content() == text
    assert read.get_body(preferencelist=("html",)).get_content() == html
    ics, png = list(read.iter_attachments())
    assert (ics.get_content_type(), ics.get_filename(), ics.get_content_charset()) == (
        "text/calendar", "invitation.ics", "utf-8")
    assert ics.get_payload(decode=True) == invitation
    assert (png.get_content_type(), png.get_filename()) == ("image/png", "reçu n°1.png")  # RFC 2231
    assert png.get_payload(decode=True) == picture


def test_no_header_value_nor_file_name_makes_a_header_of_its_own(app: Any) -> None:
    long_ascii = " ".join(["https://example.org/desabonnement/abcdef"] * 30)  # past RFC 5322's 998 characters
    message = mail.Mail(to="jean@example.org", subject="Rappel\r\nBcc: intrus@example.org", text="Bonjour",
                        headers=(("X-Long", long_ascii),),
                        attachments=(mail.Attachment("recu\r\nX-Injected: 1.txt", b"x", "text", "plain"),))

    with app.app_context():
        _message_id, content = mail.message_bytes(message)

    read = _read(content)
    assert read.get_body(preferencelist=("plain",)).get_content() == "Bonjour"
    assert read["Bcc"] is None
    assert read["Subject"] == "Rappel Bcc: intrus@example.org"
    assert all(len(line) <= 998 for line in content.split(b"\r\n"))
    assert b"=?" not in content.split(b"X-Long:")[1].split(b"\r\n\r\n")[0]  # folded, never encoded words
    assert " ".join(str(read["X-Long"]).split()) == long_ascii
    (attachment,) = read.iter_attachments()
    assert attachment["X-Injected"] is None
    assert attachment.get_filename() == "recu\r\nX-Injected: 1.txt"  # in RFC 2231's form, whole


def test_when_the_step_before_the_data_fails_nothing_goes_and_the_connection_serves_the_next_message(
        app: Any, smtp_server: Any) -> None:
    def the_record_cannot_be_written() -> None:
        raise RuntimeError("database gone")

    with app.app_context():
        with pytest.raises(RuntimeError):
            mail.send(mail.Mail(to="un@example.org", subject="Un", text="Premier"),
                      before_data=the_record_cannot_be_written)
        mail.send(mail.Mail(to="deux@example.org", subject="Deux", text="Second"))

    assert [str(message["To"]) for message in smtp_server.messages] == ["deux@example.org"]
    assert smtp_server.sessions == 1  # the first envelope reset (RSET), the same connection went on


def test_a_reply_lost_after_the_content_went_is_not_sent_again_on_a_new_connection(
        app: Any, smtp_server: Any) -> None:
    with app.app_context():
        mail.send(mail.Mail(to="un@example.org", subject="Un", text="Premier"))  # the connection, kept
        # The server takes the next message, then the connection drops before its "250" reaches the sender.
        smtp_server.on_data = lambda server, _envelope: server.transport.close()
        with pytest.raises(mail.TemporaryMailError):
            mail.send(mail.Mail(to="deux@example.org", subject="Deux", text="Second"))

    # Not sent again over a new connection: the server may well have it already (here it has).
    assert [str(message["To"]) for message in smtp_server.messages] == ["un@example.org", "deux@example.org"]


def test_any_subject_reads_back_whole_from_encoded_words_of_whole_characters(app: Any) -> None:
    import base64
    import random
    import re

    draw = random.Random(2047)
    # One, two, three and four bytes in UTF-8; spaces and a line break (folded to a space).
    alphabet = "aZ 0,:—éÉàçœ€°€日本語🥖🧀\n"
    subjects = ["é", "🥖" * 40, "Votre commande est confirmée"]
    subjects += ["".join(draw.choice(alphabet) for _ in range(draw.randint(1, 300))) for _ in range(400)]
    with app.app_context():
        for subject in subjects:
            if subject.isascii():
                continue
            _message_id, content = mail.message_bytes(mail.Mail(to="un@example.org", subject=subject, text="x"))
            head = content.split(b"\r\n\r\n", 1)[0].decode("ascii")
            folded = re.search(r"^Subject: .*?(?=\r\n\S)", head, re.S | re.M)
            assert folded is not None
            lines = folded.group(0).split("\r\n")
            assert all(len(line) <= 76 for line in lines), lines
            for word in re.findall(r"=\?utf-8\?b\?([A-Za-z0-9+/=]+)\?=", folded.group(0)):
                base64.b64decode(word).decode("utf-8")  # each word whole characters: decodes alone
            expected = " ".join(subject.splitlines())
            assert _read(content)["Subject"] == expected


def test_the_envelope_holds_the_bare_addresses_whatever_form_they_are_given_in(app: Any, smtp_server: Any,
                                                                               monkeypatch: Any) -> None:
    # A bare address goes into MAIL FROM / RCPT TO as it is (`_Smtp` skips smtplib's parsing of it); one with
    # a display name, a comment or brackets is parsed by smtplib as before: the server sees addresses only.
    monkeypatch.setitem(app.config, "MAIL_FROM", "Adopte mon commerçant <ne-pas-repondre@example.org>")
    given = ["elodie@example.org", "Jean Dupont <jean.dupont+commandes@example.org>", "<ana@example.org>",
             "paul@example.org (Paul)", "o'brien-2@sous.domaine.example.org"]
    with app.app_context():
        for address in given:
            mail.send(mail.Mail(to=address, subject="Commande prête", text="Bonjour"))
    assert smtp_server.envelopes == [("ne-pas-repondre@example.org", [address]) for address in [
        "elodie@example.org", "jean.dupont+commandes@example.org", "ana@example.org", "paul@example.org",
        "o'brien-2@sous.domaine.example.org"]]
