"""The viewer's HTTP endpoints: a drawing's vector payload and thumbnail, and live events.

``GET /api/drawings/{id}/vector`` answers the binary payload of :mod:`viewer.vector` for the
drawing's stored model. The payload is made once (at ingest time by ``prepare_drawing``, or on
the first request) and kept in storage next to a gzip copy, so a request costs one read: a
100k-entity plan is ~7 MB raw, ~2.5 MB gzipped, and compressing it per request would take a
third of a second.

``GET /api/submissions/{id}/events`` is a server-sent event stream of what changes on a
submission: annotations, replies, finding reviews, opinions, workflow and processing progress.
It polls the database (the audit trail's sequence numbers are the cursor) instead of an
in-process bus, so a change made through any API process reaches every viewer within about a
second. Events carry ids and kinds, never content: the browser fetches what changed through
the ordinary endpoints, which apply the access rules.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from review_api.access import visible_drawing, visible_submission
from review_api.deps import CurrentUser, CurrentUserAlone, DbSession, RuntimeDep
from review_api.models import Annotation, AuditEvent, Drawing, Finding, Reply, Submission, User
from review_api.security import user_for_token
from review_api.storage import ObjectMissing, Storage
from tasks.stages import Runtime, progress
from viewer.vector import FORMAT_VERSION

__all__ = [
    "EVENT_LIFETIME_S",
    "POLL_INTERVAL_S",
    "payload_keys",
    "prepare_drawing",
    "router",
]

router = APIRouter(prefix="/api", tags=["viewer 看图"])

_bearer = HTTPBearer(auto_error=False, description="令牌来自 POST /api/auth/login")
"""The platform's bearer scheme (same name and text as ``review_api.deps``), so the event
stream is documented as needing a login although it also takes ``?token=``."""

POLL_INTERVAL_S: Final = 1.0
"""How often an event stream looks for new rows (the "within seconds" of live updates)."""

EVENT_LIFETIME_S: Final = 60.0
"""A stream ends after this long and the browser reconnects with its cursor: no connection
outlives a server shutdown or a revoked login by more than this."""

HEARTBEAT_S: Final = 15.0
"""A comment line this often keeps proxies from closing an idle stream."""

THUMB_WIDTH: Final = 480
GZIP_LEVEL: Final = 6

_HIDDEN_FROM_APPLICANTS: Final = frozenset({"opinion.give"})
"""Actions whose events applicants do not get: they hear opinions only from the bureau."""


@dataclass(frozen=True, slots=True)
class PayloadKeys:
    """Storage keys of a drawing's viewer files."""

    raw: str
    gz: str
    thumb: str


def payload_keys(drawing_id: int) -> PayloadKeys:
    """Where the payload, its gzip copy and the thumbnail of a drawing are kept."""
    base = f"viewer/{int(drawing_id)}"
    return PayloadKeys(f"{base}.lsvp", f"{base}.lsvp.gz", f"{base}.thumb.png")


def _store_payload(storage: Storage, drawing_id: int, payload: bytes) -> bytes:
    """Store the payload and its gzip copy (gzip first: a reader that finds the raw file
    finds the compressed one too); returns the gzip bytes."""
    keys = payload_keys(drawing_id)
    packed = gzip.compress(payload, GZIP_LEVEL, mtime=0)
    storage.put_bytes(keys.gz, packed)
    storage.put_bytes(keys.raw, payload)
    return packed


def prepare_drawing(storage: Storage, drawing_id: int, model: Any) -> None:
    """Make and store the viewer payload of a freshly ingested drawing.

    Called by the pipeline after the model is stored, so that the first person who opens the
    drawing does not wait for it. Idempotent: a redelivered ingest overwrites the same keys.
    """
    from viewer.vector import vector_payload

    _store_payload(storage, drawing_id, vector_payload(model))


def _model(storage: Storage, drawing: Drawing) -> Any:
    """The drawing's stored semantic model (404 while it is not ingested)."""
    from drawings.serialize import loads

    if drawing.status != "ingested" or not drawing.model_key:
        raise HTTPException(
            409,
            detail="图纸尚未处理完成，暂不能显示 / the drawing has not been processed yet",
        )
    return loads(storage.get_bytes(drawing.model_key))


def _payload_bytes(rt: Runtime, drawing: Drawing, want_gzip: bool) -> bytes:
    """The stored payload (gzip or raw), made and stored first when it is missing."""
    keys = payload_keys(drawing.id)
    try:
        return rt.storage.get_bytes(keys.gz if want_gzip else keys.raw)
    except ObjectMissing:
        pass
    from viewer.vector import vector_payload

    payload = vector_payload(_model(rt.storage, drawing))
    packed = _store_payload(rt.storage, drawing.id, payload)
    return packed if want_gzip else payload


def _etag(drawing: Drawing, kind: str) -> str:
    """A validator that changes when the drawing's file or the payload format changes."""
    return f'"{kind}-{FORMAT_VERSION}-{drawing.sha256[:32]}"'


def _not_modified(etag: str, if_none_match: str | None) -> bool:
    return if_none_match is not None and etag in {t.strip() for t in if_none_match.split(",")}


def _accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether the client lists gzip (without ``q=0``) in ``Accept-Encoding``."""
    for part in (accept_encoding or "").lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*") and params.replace(" ", "") not in ("q=0", "q=0.0"):
            return True
    return False


def _visible_drawing_row(rt: Runtime, user: User, drawing_id: int) -> Drawing:
    """The drawing if ``user`` may see it (404 otherwise), detached from its session."""
    with rt.db.session() as s:
        drawing, _ = visible_drawing(s, user, drawing_id)
        s.expunge(drawing)
        return drawing


def _thumbnail(rt: Runtime, drawing: Drawing) -> bytes:
    """The stored thumbnail, rendered and stored first when it is missing."""
    from viewer.render import thumbnail_png

    key = payload_keys(drawing.id).thumb
    try:
        return rt.storage.get_bytes(key)
    except ObjectMissing:
        pass
    png = thumbnail_png(_model(rt.storage, drawing), THUMB_WIDTH)
    rt.storage.put_bytes(key, png)
    return png


async def _drawing_file(
    rt: Runtime,
    user: User,
    drawing_id: int,
    kind: str,
    if_none_match: str | None,
    make: Callable[[Drawing], bytes],
    headers: dict[str, str],
    media_type: str,
) -> Response:
    """A file derived from a visible drawing, answered 304 when the client's copy is current.

    The file only changes with the drawing's content (its SHA-256) and the payload format, so
    the ETag is known before anything is read from storage.
    """
    drawing = await asyncio.to_thread(_visible_drawing_row, rt, user, drawing_id)
    etag = _etag(drawing, kind)
    headers = {**headers, "ETag": etag, "Cache-Control": "private, no-cache"}
    if _not_modified(etag, if_none_match):
        headers.pop("Content-Encoding", None)
        return Response(status_code=304, headers=headers)
    data = await asyncio.to_thread(make, drawing)
    return Response(data, media_type=media_type, headers=headers)


@router.get(
    "/drawings/{drawing_id}/vector",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, 304: {}, 409: {}},
)
async def drawing_vector(
    drawing_id: int,
    rt: RuntimeDep,
    user: CurrentUserAlone,
    accept_encoding: Annotated[str | None, Header()] = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The drawing's line work and texts as the binary payload of ``viewer/vector.py``."""
    want_gzip = _accepts_gzip(accept_encoding)
    headers = {"Vary": "Accept-Encoding"} | ({"Content-Encoding": "gzip"} if want_gzip else {})
    return await _drawing_file(
        rt, user, drawing_id, "v", if_none_match,
        lambda d: _payload_bytes(rt, d, want_gzip), headers, "application/octet-stream",
    )


@router.get(
    "/drawings/{drawing_id}/thumbnail.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, 304: {}, 409: {}},
)
async def drawing_thumbnail(
    drawing_id: int,
    rt: RuntimeDep,
    user: CurrentUserAlone,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """A small picture of the whole drawing, for file lists."""
    return await _drawing_file(
        rt, user, drawing_id, "t", if_none_match, lambda d: _thumbnail(rt, d), {}, "image/png"
    )


# --- live events ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Stream:
    """What one event stream remembers between polls."""

    submission_id: int
    user: User
    cursor: int
    state: tuple[str, str, int, int] | None = None


def _event_drawing(s: Session, e: AuditEvent) -> tuple[int | None, bool]:
    """The drawing an event concerns and whether the applicant may hear of it."""
    object_id = int(e.object_id) if e.object_id.isdigit() else None
    if e.object_type == "annotation" or e.object_type == "reply":
        ann_id = object_id if e.object_type == "annotation" else None
        if e.object_type == "reply" and object_id is not None:
            r = s.get(Reply, object_id)
            ann_id = None if r is None else r.annotation_id
        a = None if ann_id is None else s.get(Annotation, ann_id)
        if a is None:
            return None, False
        return a.drawing_id, not a.internal
    if e.object_type == "finding" and object_id is not None:
        f = s.get(Finding, object_id)
        return (None if f is None else f.drawing_id), True
    return None, True


def _event_out(s: Session, user: User, e: AuditEvent) -> dict[str, Any] | None:
    """The event as the stream sends it, or ``None`` when this user must not hear of it."""
    drawing_id, public = _event_drawing(s, e)
    if user.role == "applicant" and (not public or e.action in _HIDDEN_FROM_APPLICANTS):
        return None
    return {
        "seq": e.seq,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "drawing_id": drawing_id,
        "at": e.at.isoformat(),
    }


def _poll(rt: Runtime, stream: _Stream) -> list[tuple[str, dict[str, Any]]]:
    """New audit events of the submission after the cursor, and a ``status`` event when the
    workflow state, processing state or progress changed."""
    out: list[tuple[str, dict[str, Any]]] = []
    with rt.db.read_session() as s:
        rows = s.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.submission_id == stream.submission_id,
                AuditEvent.seq > stream.cursor,
            )
            .order_by(AuditEvent.seq)
            .limit(500)
        ).all()
        for e in rows:
            stream.cursor = e.seq
            item = _event_out(s, stream.user, e)
            if item is not None:
                out.append(("change", item))
        sub = s.get(Submission, stream.submission_id)
        finished = sub is not None and sub.processing in ("done", "failed")
        if sub is not None and not (
            finished and stream.state is not None and stream.state[:2] == (sub.status, sub.processing)
        ):  # progress only moves while processing runs: no need to count steps afterwards
            done, total = progress(s, sub.id)
            state = (sub.status, sub.processing, done, total)
            if state != stream.state:
                stream.state = state
                out.append(
                    (
                        "status",
                        {
                            "status": sub.status,
                            "processing": sub.processing,
                            "progress": {"done": done, "total": total},
                        },
                    )
                )
    return out


def _open_stream(rt: Runtime, token: str, submission_id: int, since: int | None) -> _Stream:
    """Authenticate and authorise a new stream; its cursor starts at ``since`` or now."""
    with rt.db.session() as s:
        user = user_for_token(s, rt.settings, token)
        if user is None:
            raise HTTPException(
                401,
                detail="未登录或登录已过期 / not logged in or the login has expired",
                headers={"WWW-Authenticate": "Bearer"},
            )
        visible_submission(s, user, submission_id)
        if since is None:
            since = s.scalar(
                select(func.coalesce(func.max(AuditEvent.seq), 0)).where(
                    AuditEvent.submission_id == submission_id
                )
            )
        s.expunge(user)
        return _Stream(submission_id, user, int(since or 0))


def _still_allowed(rt: Runtime, token: str, submission_id: int) -> bool:
    """Whether the token is still valid and the submission still visible to its user."""
    with rt.db.read_session() as s:
        user = user_for_token(s, rt.settings, token)
        if user is None:
            return False
        try:
            visible_submission(s, user, submission_id)
        except HTTPException:
            return False
        return True


def _sse(event: str, data: dict[str, Any], event_id: int | None = None) -> bytes:
    """One server-sent event; JSON data on one line, so no field can break the framing."""
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append("data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(lines) + "\n\n").encode("utf-8")


async def _events(
    rt: Runtime, request: Request, token: str, stream: _Stream, lifetime: float
) -> AsyncIterator[bytes]:
    """Poll, send, sleep, until the client leaves, the login ends or the lifetime is over."""
    started = last_sent = time.monotonic()
    yield b"retry: 2000\n\n"
    while time.monotonic() - started < lifetime:
        if await request.is_disconnected():
            return
        for kind, data in await asyncio.to_thread(_poll, rt, stream):
            yield _sse(kind, data, stream.cursor)
            last_sent = time.monotonic()
        now = time.monotonic()
        if now - last_sent >= HEARTBEAT_S:
            if not await asyncio.to_thread(_still_allowed, rt, token, stream.submission_id):
                yield _sse("end", {"reason": "unauthorised"})
                return
            yield b": keep-alive\n\n"
            last_sent = now
        await asyncio.sleep(POLL_INTERVAL_S)
    yield _sse("end", {"reason": "lifetime", "cursor": stream.cursor}, stream.cursor)


def _token(credentials: HTTPAuthorizationCredentials | None, token: str | None) -> str:
    """The token from the ``Authorization`` header, else from ``?token=`` (EventSource)."""
    if credentials is not None:
        return credentials.credentials
    return token or ""


@router.get(
    "/submissions/{submission_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}, 401: {}, 404: {}},
)
async def submission_events(
    submission_id: int,
    request: Request,
    rt: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    last_event_id: Annotated[str | None, Header()] = None,
    token: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[int | None, Query(ge=0)] = None,
) -> StreamingResponse:
    """Server-sent events of the submission: ``change`` (an audit event: annotation, reply,
    finding review, opinion, workflow), ``status`` (state and processing progress) and ``end``.

    Authorised by the bearer token in the ``Authorization`` header or, because
    ``EventSource`` cannot send headers, in ``?token=`` (this endpoint only). Resume with the
    ``Last-Event-ID`` header or ``?since=`` (an audit sequence number).
    """
    bearer = _token(credentials, token)
    if since is None and last_event_id and last_event_id.isdigit():
        since = int(last_event_id)
    stream = await asyncio.to_thread(_open_stream, rt, bearer, submission_id, since)
    return StreamingResponse(
        _events(rt, request, bearer, stream, EVENT_LIFETIME_S),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/drawings/{drawing_id}/context")
def drawing_context(drawing_id: int, user: CurrentUser, s: DbSession) -> dict[str, Any]:
    """What the viewer page needs besides the payload: the drawing, its submission and the
    other drawings of that submission (for switching between disciplines)."""
    drawing, sub = visible_drawing(s, user, drawing_id)
    siblings = s.scalars(
        select(Drawing).where(Drawing.submission_id == sub.id).order_by(Drawing.id)
    ).all()
    return {
        "drawing": {
            "id": drawing.id,
            "discipline": drawing.discipline,
            "file": drawing.file,
            "status": drawing.status,
            "sha256": drawing.sha256,
        },
        "submission": {
            "id": sub.id,
            "project_id": sub.project_id,
            "project_name": sub.project.name,
            "round": sub.round,
            "status": sub.status,
        },
        "drawings": [
            {"id": d.id, "discipline": d.discipline, "file": d.file, "status": d.status}
            for d in siblings
        ],
        "rounds": _rounds_of(s, user, drawing, sub),
    }


def _rounds_of(s: Session, user: Any, drawing: Drawing, sub: Submission) -> list[dict[str, Any]]:
    """The same drawing in every other round of the project that the user may see (same path,
    else the discipline's only drawing), for switching and comparing rounds."""
    from review_api.access import can_see_submission

    out = []
    for other in s.scalars(
        select(Submission)
        .where(Submission.project_id == sub.project_id, Submission.id != sub.id)
        .order_by(Submission.round)
    ):
        if not can_see_submission(s, user, other):
            continue
        candidates = s.scalars(
            select(Drawing).where(
                Drawing.submission_id == other.id, Drawing.discipline == drawing.discipline
            ).order_by(Drawing.id)
        ).all()
        same = [d for d in candidates if d.file == drawing.file] or (
            list(candidates) if len(candidates) == 1 else []
        )
        if same:
            out.append(
                {
                    "submission_id": other.id,
                    "round": other.round,
                    "drawing_id": same[0].id,
                    "status": same[0].status,
                }
            )
    return out

