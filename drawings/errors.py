"""Domain exceptions of the drawings package.

Designer mistakes are findings, not exceptions; these are raised only when a file cannot be used
at all. Each carries a message a user can act on (which file, what is wrong) in Chinese and
English, never a traceback.
"""

from __future__ import annotations

__all__ = ["DrawingError", "UnreadableDrawingError"]


class DrawingError(Exception):
    """Base class for every error raised by ``drawings``."""


class UnreadableDrawingError(DrawingError):
    """The file is not a usable DXF (``DXF-001``): refused with a specific reason.

    ``reason`` is a short machine-readable key (``not-dxf``, ``png``, ``zip``, ``dwg``,
    ``utf16``, ``empty``, ``truncated``, ``structure``, ``too-large``, ``timeout``, ``memory``,
    ``limit``, ``no-entities``...); ``message`` is the Chinese explanation and ``message_en`` the
    English one.
    """

    def __init__(self, reason: str, message: str, message_en: str, *, file: str | None = None):
        self.reason = reason
        self.message = message
        self.message_en = message_en
        self.file = file
        super().__init__(f"{file + ': ' if file else ''}{message_en}")
