"""Text from drawings and from users, made safe to store.

Strings decoded from hostile drawings may hold lone surrogates (``surrogateescape`` decoding)
and NUL characters. PostgreSQL refuses both, client-side, which would turn one drawing into a
task that fails on every retry. Everything written to the database passes through ``clean``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["clean"]


def clean(value: Any) -> Any:
    """``value`` with every string made storable (recursively through lists and dicts)."""
    if isinstance(value, str):
        if value.isascii() and "\x00" not in value:
            return value
        return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    return value
