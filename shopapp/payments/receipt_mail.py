"""The "collected, here is your receipt" e-mail with the receipt's PDF attached.

The notice itself belongs to orders (`orders.notices.send_order_receipt`: once per order, its text and
links); the receipt is drawn here, a floor above, so payments hands orders the attachment to join.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from shopapp.core import mail
from shopapp.core.i18n import force_locale_for
from shopapp.errors import NotFoundError
from shopapp.extensions import db
from shopapp.notices.rendering import Recipient
from shopapp.orders import notices as order_notices
from shopapp.orders.models import Order
from shopapp.payments import pdf, receipts


def receipt_filename(order_number: str) -> str:
    """`recu-AMC-…pdf`: the same name as the PDF downloaded from the order page."""
    return f"recu-{order_number}.pdf"


def receipt_attachment(order_id: int, locale: str = "fr") -> mail.Attachment:
    """The order's receipt as a PDF attachment, in `locale`. Drawn outside any request (the worker has
    none): the document's links are built against PUBLIC_URL. :raise NotFoundError: no receipt yet."""
    order = db.session.get(Order, order_id)
    if order is None:
        raise NotFoundError(str(_l("Commande introuvable.")))
    receipt = receipts.receipt_for(order)
    with current_app.test_request_context(base_url=str(current_app.config["PUBLIC_URL"])), force_locale_for(locale):
        content = pdf.receipt_pdf(receipt)
    return mail.Attachment(filename=receipt_filename(receipt.order.number), content=content,
                           maintype="application", subtype="pdf")


def send_receipt_notice(order_id: int) -> int:
    """Send, once, the collected order's receipt notice with its PDF attached (orders decides whether and
    to whom; see `orders.notices.send_order_receipt`). Returns messages sent.
    :raise mail.TemporaryMailError: the mail server refused for now (the task retries)."""
    def attachments(recipient: Recipient) -> list[mail.Attachment]:
        return [receipt_attachment(order_id, recipient.locale)]

    return order_notices.send_order_receipt(order_id, attachments=attachments)
