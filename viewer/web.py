"""The platform's web pages: one page application served by the platform itself.

Everything the browser loads comes from ``viewer/static`` (no CDN: government intranets have no
internet), as plain modern JavaScript modules without libraries. The page shell is static HTML
with no inline script or style, so the application's strict CSP (``script-src 'self'``,
``style-src 'self'``) holds as it is. Routing happens in the browser (``#/...``); the server
answers the same shell for ``/`` and the few direct paths people bookmark.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Final

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["STATIC", "mount"]

STATIC: Final = Path(__file__).resolve().parent / "static"
"""The folder of the page shell, scripts, styles and translations."""

_PAGES: Final = ("/", "/login", "/viewer/{drawing_id}")


@lru_cache(maxsize=1)
def _shell_bytes() -> bytes:
    """The page shell as released (read once: it is the first thing every page load waits for)."""
    return (STATIC / "index.html").read_bytes()


async def _shell() -> HTMLResponse:
    """The page shell; never cached by the browser, so a new release is picked up at once."""
    return HTMLResponse(_shell_bytes(), headers={"Cache-Control": "no-cache"})


def mount(app: FastAPI) -> None:
    """Add the pages, ``/static/`` and the viewer's API routes to ``app`` (once)."""
    if getattr(app.state, "viewer_mounted", False):
        return
    app.state.viewer_mounted = True
    from viewer.api import router

    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for path in _PAGES:
        app.add_api_route(path, _shell, methods=["GET"], include_in_schema=False)
