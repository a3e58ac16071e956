"""QR codes drawn here (segno), never by an external image service: an SVG data URI the page
shows as an <img>, so the code to scan never leaves the server."""

import segno


def qr_svg_data_uri(text: str) -> str:
    return segno.make(text, error="m").svg_data_uri(scale=5, border=2)
