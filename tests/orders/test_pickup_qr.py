"""The pickup code's QR image is a full QR code: a 6-character code would otherwise come out as a Micro QR,
which most phone and desk scanners cannot read."""

from __future__ import annotations

import io

from PIL import Image

from shopapp.notices.attachments import qr_png

SCALE, BORDER = 8, 2  # as drawn for the e-mails and the order page
FULL_QR_MIN_MODULES = 21  # version 1; a Micro QR has 11 to 17


def test_a_pickup_code_is_drawn_as_a_full_qr_code():
    width, _height = Image.open(io.BytesIO(qr_png("K7M4PX"))).size

    modules = width // SCALE - 2 * BORDER

    assert modules >= FULL_QR_MIN_MODULES
