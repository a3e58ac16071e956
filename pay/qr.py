"""QR codes drawn here (segno), never by an external image service: an SVG data URI the page
shows as an <img>, so the code to scan never leaves the server. Drawing one takes a few
milliseconds (tens on a busy machine), so each is drawn once per process."""

from functools import lru_cache

import segno


@lru_cache(maxsize=1024)  # a waiting payment screen asks for its order every few seconds
def qr_svg_data_uri(text: str) -> str:
    return segno.make(text, error="m").svg_data_uri(scale=5, border=2)
