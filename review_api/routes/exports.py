"""Standard exports of a submission for the parties: BCF 2.1/3.0, Web Annotation, CSV, archive."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse

from review_api import audit
from review_api.access import visible_submission
from review_api.deps import CurrentUser, DbSession, RuntimeDep
from review_api.exports.archive import write_archive
from review_api.exports.bcf import export_bcf
from review_api.exports.csvfile import export_csv
from review_api.exports.pictures import Pictures
from review_api.exports.webanno import export_web_annotations
from review_api.signing import signing_settings

router = APIRouter(prefix="/api", tags=["exports 导出"])

Format = Literal["bcf", "bcf3", "wa", "csv", "archive"]
MEDIA = {
    "bcf": ("application/octet-stream", "bcf"),
    "bcf3": ("application/octet-stream", "bcf"),
    "wa": ('application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"', "jsonld"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "archive": ("application/zip", "zip"),
}
CHUNK = 1 << 20


def _disposition(sub_id: int, round_no: int, fmt: str) -> dict[str, str]:
    """An ASCII file name built from numbers only: nothing a user typed reaches the header."""
    suffix = "-bcf3" if fmt == "bcf3" else ""
    name = f"submission-{sub_id}-round-{round_no}{suffix}.{MEDIA[fmt][1]}"
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get("/submissions/{submission_id}/export", response_model=None)
def export(
    submission_id: int,
    rt: RuntimeDep,
    user: CurrentUser,
    s: DbSession,
    format: Annotated[
        Format, Query(description="bcf (2.1), bcf3 (3.0), wa, csv or archive")
    ] = "bcf",
) -> Response | StreamingResponse:
    """The submission's findings and annotations (or the whole case) in a standard format."""
    if format == "archive":
        rt.db.chain_audit()  # the archive holds the trail: every event committed so far
    sub = visible_submission(s, user, submission_id)
    headers = _disposition(sub.id, sub.round, format)
    audit.record(s, user, "case.export", "submission", sub.id, submission_id=sub.id,
                 after={"format": format})
    if format == "archive":
        spool = tempfile.SpooledTemporaryFile(max_size=32 * CHUNK)  # noqa: SIM115
        write_archive(s, user, rt.storage, sub, spool)
        spool.seek(0)

        def stream() -> Iterator[bytes]:
            try:
                while chunk := spool.read(CHUNK):
                    yield chunk
            finally:
                spool.close()

        return StreamingResponse(stream(), media_type=MEDIA[format][0], headers=headers)
    if format in ("bcf", "bcf3"):
        body = export_bcf(s, user, sub, Pictures(rt.storage), "3.0" if format == "bcf3" else "2.1")
    elif format == "wa":
        document = export_web_annotations(s, user, sub, signing_settings().public_url)
        body = json.dumps(document, ensure_ascii=False, default=str).encode()
    else:
        body = export_csv(s, user, sub)
    return Response(body, media_type=MEDIA[format][0], headers=headers)
