"""QR codes for invite links, as PNG bytes."""

from __future__ import annotations

import io


def qr_png(link: str, box_size: int = 10) -> bytes:
    """Render `link` as a PNG QR code that a cheap phone camera reads easily."""
    # Imported on use: qrcode brings Pillow, which an idle bot does not need in memory.
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=4)
    code.add_data(link)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()
