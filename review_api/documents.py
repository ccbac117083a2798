"""Issued documents: the consolidated opinion (审查意见书) and the approval certificate (审查合格书).

The PDF is typeset as text (fpdf2) in an embedded, subset CJK font: Noto Serif CJK SC for the
body and Noto Sans CJK SC Bold for headings when Debian's ``fonts-noto-cjk`` is installed,
WenQuanYi Micro Hei otherwise, or the font of ``LIANSHEN_DOCUMENT_FONT_FILE``. Lines break the
Chinese way: between any two Han characters, never before closing or after opening punctuation,
and never inside a Latin word that fits on a line.

Each document carries its verification code in the footer of every page and in its metadata,
and a QR code of the public verification address. The bureau's seal is a signature field
whose appearance is the seal picture; ``render_pdf`` tells where it goes, ``signing`` signs.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from review_api.signing import SealPlacement, signing_settings

__all__ = [
    "DocumentContent",
    "DocumentItem",
    "FontError",
    "new_verification_code",
    "qr_png",
    "render_pdf",
    "seal_png",
    "wrap_text",
]

FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/wqy")
NOTO_BODY = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
NOTO_HEAD = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
FALLBACKS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
PAGE_W, PAGE_H, MARGIN = 210.0, 297.0, 20.0
TEXT_W = PAGE_W - 2 * MARGIN
PICTURE_W, PICTURE_H = 56.0, 42.0
SEAL_MM = 42.0
MM_TO_PT = 72 / 25.4

NO_LINE_START = set("，。、；：？！）］】》」』’”…—～%‰℃,.;:?!)]}>·")
NO_LINE_END = set("（［【《「『‘“([{<")


class FontError(Exception):
    """No CJK font is available to typeset the document."""


def new_verification_code() -> str:
    """A code that cannot be guessed (80 random bits), readable over the phone."""
    raw = secrets.token_hex(10).upper()
    return "-".join(raw[i : i + 4] for i in range(0, 20, 4))


@dataclass(slots=True)
class DocumentItem:
    """One numbered item: its discipline, clause, place, who said what, and a picture."""

    discipline: str
    clause: str
    statements: list[tuple[str, str]]  # (reviewer "real name（department）", text)
    where: str = ""
    picture: bytes | None = None  # PNG of the drawing at the item's location


@dataclass(slots=True)
class DocumentContent:
    """What a document says; ``drawings`` (certificate) are (discipline, file, SHA-256)."""

    title: str
    fields: list[tuple[str, str]]
    decision: str
    verification_code: str
    verify_url: str
    issuer: str
    signer: str
    issued_at: dt.datetime
    items: list[DocumentItem] = field(default_factory=list)
    drawings: list[tuple[str, str, str]] = field(default_factory=list)
    note: str = ""
    items_heading: str = "审查意见"


# --- fonts ---------------------------------------------------------------------------------


def _face_index(path: str, want: str = "SC") -> int:
    """The face of a font collection whose family name ends with ``want`` (simplified Chinese)."""
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    from fontTools.ttLib import TTCollection

    with TTCollection(path, lazy=True) as collection:
        for n, font in enumerate(collection.fonts):
            if str(font["name"].getDebugName(1) or "").endswith(want):
                return n
    return 0


@lru_cache(maxsize=4)
def _fonts(configured: str | None) -> tuple[tuple[str, int], tuple[str, int]]:
    """(body, heading) font files with their face numbers."""
    if configured:
        if not Path(configured).is_file():
            raise FontError(
                f"找不到文书字体 / document font not found: {configured} "
                "(LIANSHEN_DOCUMENT_FONT_FILE)"
            )
        face = (configured, _face_index(configured))
        return face, face
    if Path(NOTO_BODY).is_file() and Path(NOTO_HEAD).is_file():
        return (NOTO_BODY, _face_index(NOTO_BODY)), (NOTO_HEAD, _face_index(NOTO_HEAD))
    for candidate in FALLBACKS:
        if Path(candidate).is_file():
            face = (candidate, _face_index(candidate))
            return face, face
    raise FontError(
        "没有可用的中文字体：请安装 fonts-noto-cjk 或 fonts-wqy-microhei，或设置 "
        "LIANSHEN_DOCUMENT_FONT_FILE / no CJK font: install fonts-noto-cjk or fonts-wqy-microhei"
    )


def _font_files() -> tuple[tuple[str, int], tuple[str, int]]:
    configured = signing_settings().document_font_file
    return _fonts(str(configured) if configured else None)


# --- Chinese line breaking -------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    """Break opportunities: each CJK character alone, Latin words and spaces whole."""
    out: list[str] = []
    word = ""
    for ch in text:
        if ch.isascii() and not ch.isspace():
            word += ch
            continue
        if word:
            out.append(word)
            word = ""
        out.append(ch)
    if word:
        out.append(word)
    return out


def _split_long(token: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """A word wider than the line, cut into pieces that fit."""
    pieces, cur = [], ""
    for ch in token:
        if cur and measure(cur + ch) > width:
            pieces.append(cur)
            cur = ""
        cur += ch
    return pieces + ([cur] if cur else [])


def wrap_text(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """``text`` broken into lines no wider than ``width`` (as ``measure`` counts), the Chinese
    way: closing punctuation hangs on the line before, opening punctuation moves to the next."""
    lines: list[str] = []
    for paragraph in text.replace("\r\n", "\n").split("\n"):
        tokens: list[str] = []
        for t in _tokens(paragraph):
            tokens.extend(_split_long(t, width, measure) if measure(t) > width else [t])
        line = ""
        for n, token in enumerate(tokens):
            if not line or measure(line + token) <= width or token in NO_LINE_START:
                line += token
                continue
            carry = ""
            while line and line[-1] in NO_LINE_END:  # no opening bracket at the end of a line
                carry, line = line[-1] + carry, line[:-1]
            lines.append(line.rstrip())
            line = (carry + token).lstrip() if n else token
        lines.append(line.rstrip())
    return lines


# --- pictures ------------------------------------------------------------------------------


def qr_png(url: str) -> bytes:
    """The QR code of ``url`` (error correction M) as PNG."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=8, border=2)
    qr.add_data(url)
    qr.make(fit=True)
    image = qr.make_image(fill_color="black", back_color="white").get_image()
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _pil_font(size: int) -> ImageFont.FreeTypeFont:
    (path, index), _ = _font_files()
    return ImageFont.truetype(path, size, index=index)


def seal_png(organization: str, label: str = "审查专用章", size: int = 480) -> bytes:
    """The round red seal: the organisation's name along the rim, a star, and ``label``."""
    red = (205, 20, 20, 255)
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    c, r = size / 2, size / 2 - 6
    draw.ellipse((c - r, c - r, c + r, c + r), outline=red, width=max(4, size // 40))
    star = [
        (c + (size * (0.14 if k % 2 == 0 else 0.055)) * math.sin(math.pi * k / 5),
         c - (size * (0.14 if k % 2 == 0 else 0.055)) * math.cos(math.pi * k / 5))
        for k in range(10)
    ]
    draw.polygon(star, fill=red)
    rim = _pil_font(int(size * 0.1))
    chars = list(organization) or [" "]
    span = min(250.0, 22.0 * len(chars))
    for n, ch in enumerate(chars):
        angle = -span / 2 + span * (n + 0.5) / len(chars)
        glyph = Image.new("RGBA", (int(size * 0.14), int(size * 0.14)), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text(
            (glyph.width / 2, glyph.height / 2), ch, font=rim, fill=red, anchor="mm"
        )
        glyph = glyph.rotate(-angle, resample=Image.Resampling.BICUBIC, expand=True)
        rad = math.radians(angle)
        x = c + (r * 0.78) * math.sin(rad) - glyph.width / 2
        y = c - (r * 0.78) * math.cos(rad) - glyph.height / 2
        image.alpha_composite(glyph, (int(x), int(y)))
    draw.text((c, c + size * 0.26), label, font=_pil_font(int(size * 0.075)), fill=red,
              anchor="mm")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


# --- typesetting -----------------------------------------------------------------------------


class _Pdf(FPDF):
    """A4 pages whose footer carries the verification code and the page number."""

    footer_text = ""

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("body", size=7)
        self.set_text_color(90, 90, 90)
        self.cell(TEXT_W * 0.86, 5, self.footer_text)
        self.cell(TEXT_W * 0.14, 5, f"第 {self.page_no()} / {{nb}} 页", align="R")
        self.set_text_color(0, 0, 0)


def _new_pdf(content: DocumentContent) -> _Pdf:
    (body, body_ix), (head, head_ix) = _font_files()
    pdf = _Pdf(format="A4", unit="mm")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(False)
    pdf.add_font("body", "", body, collection_font_number=body_ix)
    pdf.add_font("head", "", head, collection_font_number=head_ix)
    pdf.footer_text = f"验证码 Verification code: {content.verification_code}   核验 {content.verify_url}"
    pdf.set_title(content.title)
    pdf.set_subject(f"{content.title} {content.verification_code}")
    pdf.set_author(content.issuer)
    pdf.set_creator("联审 Lianshen")
    pdf.set_keywords(f"lianshen-verification:{content.verification_code}")
    pdf.set_lang("zh-CN")
    pdf.set_creation_date(content.issued_at)
    return pdf


def _room(pdf: _Pdf, height: float) -> None:
    """Start a new page unless ``height`` mm still fit above the footer."""
    if pdf.page == 0 or pdf.get_y() + height > PAGE_H - MARGIN - 6:
        pdf.add_page()


def _lines(pdf: _Pdf, text: str, width: float, font: str, size: float) -> list[str]:
    pdf.set_font(font, size=size)
    return wrap_text(text, width, pdf.get_string_width)


def _paragraph(pdf: _Pdf, text: str, *, x: float, width: float, font: str = "body",
               size: float = 10.5, leading: float = 5.6) -> None:
    for line in _lines(pdf, text, width, font, size):
        _room(pdf, leading)
        pdf.set_x(x)
        pdf.cell(width, leading, line)
        pdf.ln(leading)


def _head(pdf: _Pdf, content: DocumentContent, qr: bytes) -> None:
    pdf.add_page()
    pdf.image(io.BytesIO(qr), x=PAGE_W - MARGIN - 26, y=MARGIN - 8, w=26, h=26)
    pdf.set_xy(PAGE_W - MARGIN - 30, MARGIN + 18)
    pdf.set_font("body", size=7)
    pdf.cell(34, 4, "扫码核验 Scan to verify", align="C")
    pdf.set_xy(MARGIN, MARGIN + 4)
    pdf.set_font("head", size=19)
    pdf.cell(TEXT_W - 30, 12, content.title, align="C")
    pdf.set_y(MARGIN + 26)
    label_w = 36.0
    for label, value in content.fields:
        lines = _lines(pdf, value, TEXT_W - label_w - 4, "body", 10.5)
        height = 6.2 * len(lines) + 1.4
        _room(pdf, height)
        y = pdf.get_y()
        pdf.rect(MARGIN, y, label_w, height)
        pdf.rect(MARGIN + label_w, y, TEXT_W - label_w, height)
        pdf.set_font("head", size=10)
        pdf.set_xy(MARGIN + 2, y + 0.7)
        pdf.cell(label_w - 4, 6.2, label)
        pdf.set_font("body", size=10.5)
        for n, line in enumerate(lines):
            pdf.set_xy(MARGIN + label_w + 2, y + 0.7 + 6.2 * n)
            pdf.cell(TEXT_W - label_w - 4, 6.2, line)
        pdf.set_y(y + height)
    pdf.ln(4)
    _room(pdf, 10)
    pdf.set_font("head", size=13)
    pdf.cell(TEXT_W, 8, f"审查结论：{content.decision}")
    pdf.ln(10)


def _item_height(pdf: _Pdf, item: DocumentItem, width: float) -> float:
    lines = 1 + sum(len(_lines(pdf, f"{who}：{text}", width, "body", 10)) for who, text in
                    item.statements)
    text_h = 6.0 + 5.2 * lines + (5.0 if item.where else 0.0)
    return max(text_h, PICTURE_H + 4 if item.picture else 0.0) + 3


def _item(pdf: _Pdf, no: int, item: DocumentItem) -> None:
    width = TEXT_W - (PICTURE_W + 4 if item.picture else 0)
    height = _item_height(pdf, item, width)
    _room(pdf, min(height, PAGE_H - 2 * MARGIN - 10))
    top = pdf.get_y()
    if item.picture:
        pdf.image(io.BytesIO(item.picture), x=PAGE_W - MARGIN - PICTURE_W, y=top + 1,
                  w=PICTURE_W, h=PICTURE_H, keep_aspect_ratio=True)
        pdf.rect(PAGE_W - MARGIN - PICTURE_W, top + 1, PICTURE_W, PICTURE_H)
    heading = f"{no}．【{item.discipline}】" + (f"{item.clause}" if item.clause else "")
    _paragraph(pdf, heading, x=MARGIN, width=width, font="head", size=10.5, leading=6.0)
    if item.where:
        pdf.set_text_color(90, 90, 90)
        _paragraph(pdf, f"位置：{item.where}", x=MARGIN + 6, width=width - 6, size=9,
                   leading=5.0)
        pdf.set_text_color(0, 0, 0)
    for who, text in item.statements:
        _paragraph(pdf, f"{who}：{text}", x=MARGIN + 6, width=width - 6, size=10, leading=5.2)
    pdf.set_y(max(pdf.get_y(), top + (PICTURE_H + 4 if item.picture else 0)) + 3)


def _drawings(pdf: _Pdf, rows: Sequence[tuple[str, str, str]]) -> None:
    _room(pdf, 16)
    pdf.set_font("head", size=12)
    pdf.cell(TEXT_W, 8, f"审查合格的图纸（共 {len(rows)} 份）")
    pdf.ln(9)
    widths = (16.0, 50.0, TEXT_W - 66.0)
    for row in [("专业", "文件", "SHA-256"), *rows]:
        font = "head" if row[0] == "专业" else "body"
        cells = [_lines(pdf, value, w - 2, font, 7.5) for w, value in zip(widths, row, strict=True)]
        height = 4.2 * max(len(c) for c in cells) + 2
        _room(pdf, height)
        y, x = pdf.get_y(), MARGIN
        for w, lines in zip(widths, cells, strict=True):
            pdf.rect(x, y, w, height)
            for n, line in enumerate(lines):
                pdf.set_xy(x + 1, y + 1 + 4.2 * n)
                pdf.cell(w - 2, 4.2, line)
            x += w
        pdf.set_y(y + height)
    pdf.ln(3)


def _closing(pdf: _Pdf, content: DocumentContent) -> SealPlacement:
    """The issuer block; the seal lies over it, on the same page."""
    _room(pdf, SEAL_MM + 12)
    top = pdf.get_y() + 4
    x = PAGE_W - MARGIN - 78
    pdf.set_font("body", size=11)
    date = f"{content.issued_at.year} 年 {content.issued_at.month} 月 {content.issued_at.day} 日"
    for n, line in enumerate((f"签发机关：{content.issuer}", f"签发人：{content.signer}",
                              f"签发日期：{date}")):
        pdf.set_xy(x, top + 9 + 8 * n)
        pdf.cell(78, 7, line)
    seal_x, seal_y = PAGE_W - MARGIN - SEAL_MM - 4, top
    box = (
        round(seal_x * MM_TO_PT),
        round((PAGE_H - seal_y - SEAL_MM) * MM_TO_PT),
        round((seal_x + SEAL_MM) * MM_TO_PT),
        round((PAGE_H - seal_y) * MM_TO_PT),
    )
    return SealPlacement(page=pdf.page - 1, box=box)


def render_pdf(content: DocumentContent) -> tuple[bytes, SealPlacement]:
    """The document as PDF and where its seal goes (the signature field's box)."""
    pdf = _new_pdf(content)
    _head(pdf, content, qr_png(content.verify_url))
    if content.drawings:
        _drawings(pdf, content.drawings)
    if content.items:
        _room(pdf, 14)
        pdf.set_font("head", size=12)
        pdf.cell(TEXT_W, 8, f"{content.items_heading}（共 {len(content.items)} 条）")
        pdf.ln(10)
        for no, item in enumerate(content.items, start=1):
            _item(pdf, no, item)
    if content.note:
        _room(pdf, 14)
        pdf.set_font("head", size=12)
        pdf.cell(TEXT_W, 8, "说明")
        pdf.ln(9)
        _paragraph(pdf, content.note, x=MARGIN, width=TEXT_W)
    placement = _closing(pdf, content)
    return bytes(pdf.output()), placement
