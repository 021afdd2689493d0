"""Printable documents as PDF, drawn by WeasyPrint from the same HTML as the printable page."""

from __future__ import annotations

import mimetypes
import threading
from pathlib import Path
from urllib.parse import urlsplit

import weasyprint
from flask import current_app, render_template
from PIL import ImageFile
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from shopapp.payments import invoices
from shopapp.payments.models import CommissionInvoice
from shopapp.payments.receipts import Receipt

# WeasyPrint turns on Pillow's process-wide "load truncated images" when imported; uploaded photos must
# still be refused when truncated (catalog/images.py), and our documents embed no broken image.
ImageFile.LOAD_TRUNCATED_IMAGES = False

_fonts = threading.local()


def _font_config() -> FontConfiguration:
    """One font configuration per thread, kept: WeasyPrint makes a new one for every document when none
    is given, and a worker rendering receipts all day then grows by about 0.25 MiB a document."""
    config = getattr(_fonts, "config", None)
    if config is None:
        config = _fonts.config = FontConfiguration()
    return config


def invoice_html(invoice: CommissionInvoice) -> str:
    """The invoice or credit note as a standalone printable HTML document."""
    credited = invoices.credited_invoice(invoice)
    return render_template("payments/invoice_document.html", invoice=invoice, credited=credited)


def invoice_pdf(invoice: CommissionInvoice) -> bytes:
    """The invoice as a PDF (uncompressed streams: its number and parties are searchable in the file)."""
    return html_to_pdf(invoice_html(invoice), Path(current_app.static_folder or ""))


def receipt_html(receipt: Receipt) -> str:
    """A resident's receipt as a standalone printable HTML document (the page and the PDF)."""
    return render_template("payments/receipt_document.html", receipt=receipt, order=receipt.order)


def receipt_pdf(receipt: Receipt) -> bytes:
    """The receipt as a PDF (uncompressed streams, like the invoices: its text is searchable in the file).
    """
    return html_to_pdf(receipt_html(receipt), Path(current_app.static_folder or ""))


# The documents link their style sheet as the page does (/static/css/…); WeasyPrint reads it from the
# static folder through this base address and fetches nothing else, from the network or the disk.
_BASE_URL = "https://documents.invalid/"


def html_to_pdf(html: str, static_folder: Path) -> bytes:
    """One printable HTML document as a PDF, uncompressed (its text stays searchable in the file)."""
    return weasyprint.HTML(string=html, base_url=_BASE_URL, url_fetcher=_StaticFetcher(static_folder)).write_pdf(
        uncompressed_pdf=True, font_config=_font_config())


class _StaticFetcher(URLFetcher):
    """Serves /static/… from the static folder and refuses every other address."""

    def __init__(self, static_folder: Path) -> None:
        super().__init__(allowed_protocols=())
        self._root = static_folder.resolve()

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        path = urlsplit(url).path
        if path.startswith("/static/"):
            file = (self._root / path.removeprefix("/static/")).resolve()
            if file.is_relative_to(self._root) and file.is_file():
                return URLFetcherResponse(url, file.read_bytes(),
                                          {"Content-Type": mimetypes.guess_type(file.name)[0] or "text/plain"})
        raise ValueError(f"a printable document only reads the static folder, not {url}")
