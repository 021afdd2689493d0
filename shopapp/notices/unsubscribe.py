"""One-click unsubscribe from optional notices (RFC 8058).

Every optional e-mail (reminders, digests) carries a signed link naming its recipient and its kind: in the
`List-Unsubscribe` header with `List-Unsubscribe-Post: List-Unsubscribe=One-Click`, so that a mail client
can unsubscribe with one POST and no log-in, and at the foot of the message for the reader. The link never
expires: an old reminder must still let its reader stop the next ones.
"""

from __future__ import annotations

import dataclasses

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import escape

from shopapp.core.mail import Mail
from shopapp.core.urls import public_url
from shopapp.errors import DomainError

ENDPOINT = "accounts.unsubscribe"


class InvalidUnsubscribeLink(DomainError):
    status = 404
    code = "invalid_link"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="unsubscribe")


def make_token(recipient: str, kind: str) -> str:
    return _serializer().dumps({"to": recipient, "kind": kind})


def read_token(token: str, kinds: tuple[str, ...]) -> tuple[str, str]:
    """(recipient, kind) of a link. :raise InvalidUnsubscribeLink: tampered, or a kind not optional."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        raise InvalidUnsubscribeLink("Ce lien de désabonnement n'est pas valide.") from None
    if not isinstance(data, dict) or data.get("kind") not in kinds or not isinstance(data.get("to"), str):
        raise InvalidUnsubscribeLink("Ce lien de désabonnement n'est pas valide.")
    return data["to"], data["kind"]


def with_unsubscribe(message: Mail, kind: str) -> Mail:
    """The optional e-mail `message` with its RFC 8058 headers and a link at its foot."""
    link = public_url(ENDPOINT, token=make_token(message.to, kind))
    footer = _("Vous ne souhaitez plus recevoir ces messages ? Désabonnez-vous en un clic : %(link)s", link=link)
    html = message.html
    if html is not None:
        foot = f'<p style="font-size: 0.9em; color: #4a554f;">{escape(footer)}</p>'
        html = html.replace("</body>", foot + "</body>") if "</body>" in html else html + foot
    return dataclasses.replace(
        message,
        text=message.text.rstrip("\n") + "\n\n-- \n" + footer + "\n",
        html=html,
        headers=(*message.headers, ("List-Unsubscribe", f"<{link}>"),
                 ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")),
    )
