"""Printable documents as PDF, drawn by WeasyPrint from the same HTML as the printable page."""

from __future__ import annotations

from pathlib import Path

import weasyprint
from flask import current_app, render_template
from PIL import ImageFile

from shopapp.payments import invoices
from shopapp.payments.models import CommissionInvoice
from shopapp.payments.receipts import Receipt

# WeasyPrint turns on Pillow's process-wide "load truncated images" when imported; uploaded photos must
# still be refused when truncated (catalog/images.py), and our documents embed no broken image.
ImageFile.LOAD_TRUNCATED_IMAGES = False


def invoice_html(invoice: CommissionInvoice) -> str:
    """The invoice or credit note as a standalone printable HTML document."""
    credited = invoices.credited_invoice(invoice)
    return render_template("payments/invoice_document.html", invoice=invoice, credited=credited)


def _static_sheet(name: str) -> weasyprint.CSS:
    """A style sheet of the static folder, given to WeasyPrint directly (the page links it by URL)."""
    return weasyprint.CSS(filename=str(Path(current_app.static_folder or "") / "css" / name))


def invoice_pdf(invoice: CommissionInvoice) -> bytes:
    """The invoice as a PDF (uncompressed streams: its number and parties are searchable in the file)."""
    return weasyprint.HTML(string=invoice_html(invoice)).write_pdf(stylesheets=[_static_sheet("invoice.css")],
                                                                   uncompressed_pdf=True)


def receipt_html(receipt: Receipt) -> str:
    """A resident's receipt as a standalone printable HTML document (the page and the PDF)."""
    return render_template("payments/receipt_document.html", receipt=receipt, order=receipt.order)


def receipt_pdf(receipt: Receipt) -> bytes:
    """The receipt as a PDF (uncompressed streams, like the invoices: its text is searchable in the file).
    """
    return weasyprint.HTML(string=receipt_html(receipt)).write_pdf(stylesheets=[_static_sheet("receipt.css")],
                                                                   uncompressed_pdf=True)
