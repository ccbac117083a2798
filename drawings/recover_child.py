"""Isolated recovery of a damaged ASCII DXF (run as ``python -m drawings.recover_child IN OUT``).

ezdxf's recover loader has its own denial-of-service holes (its auditor recurses on deep block
chains and goes exponential on block lattices) and raises exceptions outside its documented
list. It therefore runs in a throw-away process with memory and CPU limits; the parent reads the
re-written, audited file with the streaming reader and gets the list of fixes as JSON on stdout.
"""

from __future__ import annotations

import json
import resource
import sys


def _report(data: dict[str, object]) -> None:
    """One JSON line on stdout: the parent reads the last line."""
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    """Recover ``argv[0]`` into ``argv[1]``; report ``{"fixes", "errors", "entities"}``."""
    src, dst, mem = argv[0], argv[1], int(argv[2]) if len(argv) > 2 else 0
    if mem > 0:
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    sys.setrecursionlimit(5000)
    from ezdxf import recover

    try:
        doc, auditor = recover.readfile(src)
    except Exception as exc:  # noqa: BLE001 - any failure is reported to the parent as data
        _report({"error": f"{type(exc).__name__}: {str(exc)[:300]}"})
        return 3
    fixes = [
        {"code": int(e.code), "message": str(e.message)[:300], "handle": _handle(e)}
        for e in auditor.fixes
    ]
    errors = [
        {"code": int(e.code), "message": str(e.message)[:300], "handle": _handle(e)}
        for e in auditor.errors
    ]
    entities = len(doc.modelspace()) + sum(
        len(layout) for layout in doc.layouts if not layout.is_modelspace
    )
    try:
        doc.saveas(dst)
    except Exception as exc:  # noqa: BLE001
        _report({"error": f"{type(exc).__name__}: {str(exc)[:300]}"})
        return 3
    _report({"fixes": fixes[:500], "errors": errors[:500], "entities": entities})
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
