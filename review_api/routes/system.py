"""Health of the platform's parts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from review_api.deps import RuntimeDep

router = APIRouter(prefix="/api", tags=["system 系统"])


def _broker_ok(url: str) -> bool:
    from kombu.connection import Connection

    try:
        with Connection(url, connect_timeout=2) as conn:  # type: ignore[no-untyped-call]
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


@router.get("/health")
def health(rt: RuntimeDep) -> JSONResponse:
    """``{"status", "database", "broker", "storage"}``; 503 when a part is down."""
    parts: dict[str, Any] = {}
    try:
        with rt.db.engine.connect() as c:
            c.execute(text("SELECT 1"))
        parts["database"] = "ok"
    except Exception:  # noqa: BLE001
        parts["database"] = "down"
    parts["broker"] = "ok" if _broker_ok(rt.settings.resolved_broker_url) else "down"
    try:
        rt.storage.check()
        parts["storage"] = "ok"
    except Exception:  # noqa: BLE001
        parts["storage"] = "down"
    ok = all(v == "ok" for v in parts.values())
    return JSONResponse({"status": "ok" if ok else "degraded", **parts}, status_code=200 if ok else 503)
