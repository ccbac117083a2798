"""Isolated recovery of a damaged ASCII DXF (run as ``python -m drawings.recover_child IN OUT``).

ezdxf's recover loader has its own denial-of-service holes (its auditor recurses on deep block
chains and goes exponential on block lattices) and raises exceptions outside its documented
list. It therefore runs in a throw-away process with memory and CPU limits; the parent reads the
re-written, audited file with the streaming reader and gets the list of fixes as JSON on stdout.
"""

from __future__ import annotations

import resource
import sys


def main(argv: list[str]) -> int:
    """Recover ``argv[0]`` into ``argv[1]``; print ``{"fixes": [...], "entities": n}``."""
    src, dst, mem = argv[0], argv[1], int(argv[2]) if len(argv) > 2 else 0
    if mem > 0:
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    sys.setrecursionlimit(5000)
    from ezdxf import recover

    try:
        doc, auditor = recover.readfile(src)
    except Exception:  # noqa: BLE001 - any failure is reported to the parent as data
        return 3
    [
        {"code": int(e.code), "message": str(e.message)[:300], "handle": _handle(e)}
        for e in auditor.fixes
    ]
    [
        {"code": int(e.code), "message": str(e.message)[:300], "handle": _handle(e)}
        for e in auditor.errors
    ]
    len(doc.modelspace()) + sum(len(layout) for layout in doc.layouts if not layout.is_modelspace)
    try:
        doc.saveas(dst)
    except Exception:  # noqa: BLE001
        return 3
    return 0


def _handle(entry: object) -> str:
    entity = getattr(entry, "entity", None)
    if entity is None:
        return ""
    try:
        return str(entity.dxf.handle or "")
    except Exception:  # noqa: BLE001
        return ""


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
