"""Building a notice e-mail from its three templates, in the recipient's language."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app, render_template

from shopapp.core import mail
from shopapp.core.i18n import force_locale_for
from shopapp.notices.channels import Sms


@dataclass(frozen=True)
class Recipient:
    """Who a notice goes to: an address, its language, and the account behind it (None for a shop's
    own address, which has no preferences)."""

    email: str
    locale: str = "fr"
    user_id: int | None = None
    name: str = ""
    # The mobile number (E.164) SMS versions go to: set only for a resident who opted in with a number.
    sms_to: str | None = None


def render_mail(template: str, recipient: Recipient, *, attachments: Iterable[mail.Attachment] = (),
                **context: Any) -> mail.Mail:
    """`emails/<template>_subject.txt`, `.txt` and `.html` rendered in the recipient's language.

    The app's context processors run once for the three (`render_template` would run them for each: a
    worker renders thousands of notices in a row)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    context["recipient"] = recipient
    with force_locale_for(recipient.locale):
        app.update_template_context(context)
        subject, text, html = (app.jinja_env.get_template(f"emails/{template}{ending}").render(context)
                               for ending in ("_subject.txt", ".txt", ".html"))
    return mail.Mail(to=recipient.email, subject=" ".join(subject.split()), text=text, html=html,
                     attachments=tuple(attachments))


def render_sms(template: str, recipient: Recipient, **context: Any) -> Sms:
    """`sms/<template>.txt` rendered in the recipient's language, whitespace folded to one short line.

    :raise ValueError: the recipient has no SMS number (callers check `recipient.sms_to` first).
    """
    if not recipient.sms_to:
        raise ValueError("recipient has no SMS number")
    with force_locale_for(recipient.locale):
        text = render_template(f"sms/{template}.txt", recipient=recipient, **context)
    # Folds line breaks and runs of spaces, not the no-break spaces of "1,30 €" or "jeudi 4 décembre, 17 h 30".
    return Sms(to=recipient.sms_to, text=re.sub(r"[ \t\r\n]+", " ", text).strip())


def unique_recipients(recipients: Iterable[Recipient]) -> list[Recipient]:
    """One entry per address (case-insensitive), the first one kept (accounts come before the shop's address)."""
    seen: set[str] = set()
    unique: list[Recipient] = []
    for recipient in recipients:
        key = recipient.email.strip().lower()
        if key and key not in seen:
            seen.add(key)
            unique.append(recipient)
    return unique
