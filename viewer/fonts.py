"""A CJK TrueType font for server-side rendering, found among the usual system locations.

Drawings are annotated in Chinese; Pillow's built-in font has no CJK glyphs, so room names and
notes would come out as empty boxes. No font is shipped with the platform (they are large and
licensed separately): the operating system package ``fonts-noto-cjk`` (or
``fonts-wqy-microhei``) provides one, and this module looks for it in a short list of known
paths. When none is installed, rendering still works with Pillow's default font.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from PIL import ImageFont

__all__ = ["CJK_FONT_PATHS", "FontFile", "cjk_font", "font_at"]

CJK_FONT_PATHS: Final[tuple[str, ...]] = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian, Ubuntu: fonts-noto-cjk
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch: noto-fonts-cjk
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora
    "/usr/share/fonts/noto/NotoSansCJK-Regular.ttc",  # Alpine: font-noto-cjk
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian, Ubuntu: fonts-wqy-microhei
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",  # Fedora, Arch
)
"""Where CJK fonts are installed by common Linux distributions, in order of preference."""

_PREFERRED_FACE: Final = "CJK SC"
"""Noto's collections hold one face per region; the Simplified Chinese one draws 门, 层 … as
mainland readers expect (the Japanese face, first in the file, differs in some glyphs)."""

_MAX_FACES: Final = 16

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True, slots=True)
class FontFile:
    """A font file and the face inside it (a ``.ttc`` collection holds several)."""

    path: str
    index: int
    family: str


def _face_index(path: str) -> tuple[int, str]:
    """The Simplified Chinese face of a collection, else its first face."""
    first = ""
    for index in range(_MAX_FACES):
        try:
            family = ImageFont.truetype(path, 12, index=index).getname()[0] or ""
        except OSError:
            break
        if index == 0:
            first = family
        if _PREFERRED_FACE in family:
            return index, family
    return 0, first


@functools.cache
def cjk_font(candidates: tuple[str, ...] = CJK_FONT_PATHS) -> FontFile | None:
    """The first installed CJK font of ``candidates``, or ``None`` when there is none.

    Cached: the answer does not change while the process runs, and opening a 20 MB collection
    for every image would cost more than drawing it.
    """
    for path in candidates:
        if not Path(path).is_file():
            continue
        try:
            index, family = _face_index(path)
            ImageFont.truetype(path, 12, index=index)
        except OSError:
            continue
        return FontFile(path, index, family)
    return None


@functools.lru_cache(maxsize=64)
def font_at(size_px: int, found: FontFile | None) -> Font:
    """``found`` at ``size_px`` pixels (em size), else Pillow's default font at that size.

    Sizes are whole pixels so that the cache stays small; the basic layout engine is used
    because CJK text needs no shaping and it does not depend on libraqm being present.
    """
    size_px = max(int(size_px), 1)
    if found is not None:
        try:
            return ImageFont.truetype(
                found.path, size_px, index=found.index, layout_engine=ImageFont.Layout.BASIC
            )
        except OSError:
            pass
    return ImageFont.load_default(size_px)
