"""Request and response bodies of the HTTP API (``API.md``), with their limits.

Input limits are part of the contract: texts are bounded, geometries are GeoJSON with a bounded
number of coordinates, so one request cannot make the server hold unbounded data.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator


def _storable(value: str) -> str:
    """Refuse what no database column can keep: NUL characters and lone surrogates."""
    if "\x00" in value:
        raise ValueError("文本不能包含 NUL 字符 / text must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("文本含无效的 Unicode 字符 / text contains invalid Unicode") from None
    return value


SafeText = Annotated[str, AfterValidator(_storable)]
"""Free text from users: any Unicode a database can store."""

RowId = Annotated[int, Field(ge=1, le=2**31 - 1)]
"""An id that a row can have (a larger one would reach the database only to fail there)."""

Department = Literal["planning", "architecture", "fire", "civil_defence", "lightning"]
MAX_TEXT = 5000
MAX_COORDS = 5000


class LoginIn(BaseModel):
    username: SafeText = Field(min_length=1, max_length=80)
    password: SafeText = Field(min_length=1, max_length=200)


class UserOut(BaseModel):
    id: int
    username: str
    real_name: str
    role: str
    department: str | None
    organization: str


class LoginOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: dt.datetime
    user: UserOut


class ProjectIn(BaseModel):
    name: SafeText = Field(min_length=1, max_length=200)


class ProjectOut(BaseModel):
    id: int
    name: str
    organization: str
    created_at: dt.datetime
    submissions: list[dict[str, Any]] = []


class SubmissionCreated(BaseModel):
    id: int
    round: int
    status: str
    processing: str


class DrawingOut(BaseModel):
    id: int
    discipline: str
    file: str
    status: str
    error: str | None
    error_reason: str | None = None
    sha256: str
    size: int
    summary: dict[str, Any] | None = None


class DeadlineOut(BaseModel):
    step: str
    department: str | None
    started_at: dt.datetime
    due_at: dt.datetime | None
    ended_at: dt.datetime | None


class SubmissionOut(BaseModel):
    id: int
    project_id: int
    project_name: str
    round: int
    status: str
    allowed_actions: list[str]
    processing: str
    processing_error: str | None
    progress: dict[str, int]
    package_sha256: str
    note: str | None
    created_at: dt.datetime
    drawings: list[DrawingOut]
    deadlines: list[DeadlineOut]
    checks: list[dict[str, Any]]


class IntakeIn(BaseModel):
    decision: Literal["accept", "return"]
    note: SafeText = Field("", max_length=MAX_TEXT)


class FindingPatch(BaseModel):
    review_status: Literal["confirmed", "dismissed", "open"]
    reason: SafeText = Field("", max_length=MAX_TEXT)


def _count_coords(value: Any) -> int:
    if isinstance(value, int | float):
        return 1
    if isinstance(value, list):
        return sum(_count_coords(v) for v in value)
    return 0


class Geometry(BaseModel):
    """A GeoJSON geometry in the drawing's coordinates (metres)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["Point", "LineString", "Polygon", "MultiLineString", "MultiPolygon"]
    coordinates: list[Any]

    @field_validator("coordinates")
    @classmethod
    def _bounded(cls, v: list[Any]) -> list[Any]:
        if _count_coords(v) > 2 * MAX_COORDS:
            raise ValueError(f"at most {MAX_COORDS} points")
        return v


class AnnotationIn(BaseModel):
    geometry: Geometry
    text: SafeText = Field("", max_length=MAX_TEXT)
    kind: Literal["cloud", "rectangle", "arrow", "text", "polyline", "measure"]
    finding_id: RowId | None = None
    internal: bool = False
    client_key: SafeText | None = Field(
        None, max_length=80, description="Idempotency key: a retried post returns the first one."
    )


class AnnotationPatch(BaseModel):
    geometry: Geometry | None = None
    text: SafeText | None = Field(None, max_length=MAX_TEXT)
    status: Literal["open", "resolved"] | None = None


class ReplyIn(BaseModel):
    text: SafeText = Field(min_length=1, max_length=MAX_TEXT)


class OpinionItemIn(BaseModel):
    text: SafeText = Field(min_length=1, max_length=MAX_TEXT)
    finding_id: RowId | None = None
    annotation_id: RowId | None = None


class OpinionIn(BaseModel):
    department: Department
    verdict: Literal["pass", "revise"]
    items: list[OpinionItemIn] = Field(default_factory=list, max_length=500)


class ConsolidatedIn(BaseModel):
    decision: Literal["approve", "revise"]
    note: SafeText = Field("", max_length=MAX_TEXT)


class UserIn(BaseModel):
    username: SafeText = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.@-]+$")
    real_name: SafeText = Field(min_length=1, max_length=80)
    password: SafeText = Field(min_length=10, max_length=200)
    role: Literal["applicant", "reviewer", "bureau", "supervisor", "admin"]
    department: Department | None = None
    organization: SafeText = Field(min_length=1, max_length=200)
    email: SafeText | None = Field(None, max_length=200)


class UserPatch(BaseModel):
    active: bool | None = None
    role: Literal["applicant", "reviewer", "bureau", "supervisor", "admin"] | None = None
    department: Department | None = None
    password: SafeText | None = Field(None, min_length=10, max_length=200)
    organization: SafeText | None = Field(
        None, min_length=1, max_length=200,
        description="单位：角色或部门改变、原单位不再相符时必填 / the organisation; required when "
        "a new role or department no longer fits the current one",
    )
