"""The FastAPI application: routers, error answers, body limit and security headers."""

from __future__ import annotations

import asyncio
import json
import logging
import re

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from review_api.db import Database
from review_api.settings import Settings, get_settings
from review_api.storage import StorageError, storage_from_settings
from review_api.textsafe import clean
from review_api.workflow import IllegalTransition
from tasks.stages import Runtime

__all__ = ["create_app"]

logger = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
    "object-src 'none'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


class TokenRedaction(logging.Filter):
    """Hides the value of ``token=`` in access-log lines.

    The event stream accepts its bearer token in the query (``EventSource`` cannot send
    headers), and uvicorn's access log writes every request's path with its query: a log
    reader would otherwise be handed working logins.
    """

    PATTERN = re.compile(r"([?&]token=)[^&\s\"]*")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self.PATTERN.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args
            )
        elif isinstance(record.msg, str):
            record.msg = self.PATTERN.sub(r"\1***", record.msg)
        return True


def _redact_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, TokenRedaction) for f in access.filters):
        access.addFilter(TokenRedaction())


class ConcurrencyLimit:
    """At most ``limit`` requests inside the application at once; the others wait here.

    Sync handlers and the end of their database transaction run on one shared pool of 40
    threads. Without a limit, a burst can fill every thread with handlers waiting for a row
    lock whose holder then finds no thread to commit in: a deadlock (seen with the audit
    chain's head before events were chained after the commit).
    Live event streams stay outside the limit: they are long and mostly asleep.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.slots = asyncio.Semaphore(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).endswith("/events"):
            await self.app(scope, receive, send)
            return
        async with self.slots:
            await self.app(scope, receive, send)


class SecurityHeaders:
    """Adds ``SECURITY_HEADERS`` to every answer that does not set them itself.

    Plain ASGI rather than ``@app.middleware("http")``: that wrapper runs each response
    through an extra task and stream, a measurable share of a small request's cost.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimit:
    """Refuse bodies over the limit while they stream in (413), before they fill the disk.

    Starlette spools file parts to disk without any total limit, so the count must happen
    here, on the raw body, whatever the ``Content-Length`` claims. A body sent without a length
    (chunked) is cut off where it passes the limit: the 413 is sent at once, and the
    application is told the client went away, so it stops reading; whatever it answers then
    (FastAPI calls an interrupted body a 400) is dropped. Nothing is raised through the
    application, whose middleware would wrap or translate the error.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(send, self.limit)
            return
        seen = 0
        started = refused = False

        async def limited_receive() -> Message:
            nonlocal seen, started, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    refused = True
                    if not started:
                        started = True
                        await _too_large(send, self.limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 is the answer
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, limited_receive, guarded_send)


async def _too_large(send: Send, limit: int) -> None:
    detail = f"上传内容超过大小上限 / upload larger than the limit of {limit} bytes"
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    """The application for ``settings`` (the environment's by default)."""
    settings = settings or get_settings()
    if runtime is None:
        runtime = Runtime(settings, Database(settings), storage_from_settings(settings))
    app = FastAPI(
        title="联审 Lianshen API",
        description="多图联审平台的 HTTP 接口 / the joint drawing review platform's HTTP API",
        version="1.0",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.runtime = runtime
    _redact_access_log()
    from review_api.routes import (
        admin,
        auth,
        bureau,
        exports,
        oversight,
        projects,
        review,
        rounds,
        supervision,
        system,
    )

    for module in (
        system, auth, projects, review, rounds, bureau, exports, oversight, supervision, admin
    ):
        app.include_router(module.router)
    _error_answers(app)
    from viewer.web import mount

    mount(app)  # the web pages, /static/ and the viewer's endpoints

    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes)
    app.add_middleware(ConcurrencyLimit, limit=settings.max_concurrent_requests)
    app.add_middleware(SecurityHeaders)  # outermost: the body limit's 413 gets them too
    return app


def _error_answers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        """422 with every problem; echoed input is cleaned, since it may be unencodable."""
        return JSONResponse({"detail": clean(jsonable_encoder(exc.errors()))}, status_code=422)

    @app.exception_handler(IllegalTransition)
    async def _illegal(_: Request, exc: IllegalTransition) -> JSONResponse:
        return JSONResponse(
            {
                "detail": str(exc),
                "current": exc.current,
                "action": exc.action,
                "allowed": list(exc.allowed),
                "reason": exc.reason,
            },
            status_code=409,
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(DBAPIError)
    async def _db_error(request: Request, exc: Exception) -> JSONResponse:
        """503 only when the database was unreachable; a unique-key race is a 409; anything
        else is a bug, logged, and answered 500 without details."""
        from tasks.stages import is_outage

        if is_outage(exc):
            return JSONResponse(
                {"detail": "数据库暂时不可用，请稍后重试 / the database is unavailable, retry shortly"},
                status_code=503,
                headers={"Retry-After": "5"},
            )
        if isinstance(exc, IntegrityError):
            return JSONResponse(
                {"detail": "与同时进行的其他操作冲突，请重试 / conflicts with a concurrent change, retry"},
                status_code=409,
            )
        logger.error("database error in %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"detail": "内部错误 / internal error"}, status_code=500)

    @app.exception_handler(PoolTimeout)
    async def _pool_exhausted(_: Request, exc: PoolTimeout) -> JSONResponse:
        return JSONResponse(
            {"detail": "服务繁忙，请稍后重试 / the service is busy, retry shortly"},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(StorageError)
    async def _storage_down(_: Request, exc: StorageError) -> JSONResponse:
        return JSONResponse(
            {"detail": "文件存储暂时不可用 / file storage unavailable", "reason": str(exc)},
            status_code=503,
            headers={"Retry-After": "5"},
        )
