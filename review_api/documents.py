"""Issued documents: the consolidated opinion (审查意见书) and the approval certificate.

The PDF is typeset page by page with Pillow (A4 at 150 dpi) in a CJK font, and identified by
its SHA-256 and a verification code. The code is what the public verification endpoint looks
up; the hash is what proves that a presented file is exactly the issued one.
"""

from __future__ import annotations

import io
import secrets
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

__all__ = ["DocumentContent", "new_verification_code", "render_pdf"]

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
PAGE = (1240, 1754)  # A4 at 150 dpi
MARGIN = 110


def new_verification_code() -> str:
    """A code that cannot be guessed (80 random bits), readable over the phone."""
    raw = secrets.token_hex(10).upper()
    return "-".join(raw[i : i + 4] for i in range(0, 20, 4))


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for candidate in FONT_CANDIDATES:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size)


@dataclass(slots=True)
class DocumentContent:
    """What a document says: a title, header fields and numbered items."""

    title: str
    fields: list[tuple[str, str]]
    items: list[str] = field(default_factory=list)
    footer: str = ""


def _lines(content: DocumentContent) -> list[tuple[str, int]]:
    """The text as (line, font size) pairs, wrapped for the page width."""
    out: list[tuple[str, int]] = [(content.title, 40), ("", 20)]
    for k, v in content.fields:
        for n, part in enumerate(textwrap.wrap(f"{k}：{v}", 38) or [""]):
            out.append((part if n == 0 else "    " + part, 24))
    out.append(("", 20))
    for n, item in enumerate(content.items, start=1):
        for m, part in enumerate(textwrap.wrap(item, 36) or [""]):
            out.append((f"{n}. {part}" if m == 0 else "    " + part, 24))
    if content.footer:
        out += [("", 20)] + [(p, 22) for p in textwrap.wrap(content.footer, 40)]
    return out


def render_pdf(content: DocumentContent) -> bytes:
    """The document as a PDF (one image per A4 page)."""
    pages: list[Image.Image] = []
    page, y = None, 0
    for text, size in _lines(content):
        if page is None or y + size * 1.6 > PAGE[1] - MARGIN:
            page = Image.new("RGB", PAGE, "white")
            pages.append(page)
            y = MARGIN
        ImageDraw.Draw(page).text((MARGIN, y), text, fill="black", font=_font(size))
        y += int(size * 1.6)
    buf = io.BytesIO()
    pages[0].save(buf, "PDF", resolution=150.0, save_all=True, append_images=pages[1:])
    return buf.getvalue()
