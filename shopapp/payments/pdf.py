"""Printable documents as PDF, drawn by WeasyPrint from the same HTML as the printable page."""

from __future__ import annotations

import weasyprint
from flask import render_template
from PIL import ImageFile

from shopapp.payments import invoices
from shopapp.payments.models import CommissionInvoice

# WeasyPrint turns on Pillow's process-wide "load truncated images" when imported; uploaded photos must
# still be refused when truncated (catalog/images.py), and our documents embed no broken image.
ImageFile.LOAD_TRUNCATED_IMAGES = False


def invoice_html(invoice: CommissionInvoice) -> str:
    """The invoice or credit note as a standalone printable HTML document."""
    credited = invoices.credited_invoice(invoice)
    return render_template("payments/invoice_document.html", invoice=invoice, credited=credited)


def invoice_pdf(invoice: CommissionInvoice) -> bytes:
    """The invoice as a PDF (uncompressed streams: its number and parties are searchable in the file)."""
    return weasyprint.HTML(string=invoice_html(invoice)).write_pdf(uncompressed_pdf=True)
