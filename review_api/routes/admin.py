"""Accounts: the administrator creates users and changes or deactivates them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from sqlalchemy import select

from review_api import audit
from review_api.access import not_found, require_role
from review_api.deps import CurrentUser, DbSession
from review_api.models import Organization, User
from review_api.routes.auth import user_out
from review_api.schemas import UserIn, UserPatch
from review_api.security import hash_password, revoke_tokens

router = APIRouter(prefix="/api/users", tags=["admin 账户"])

ORG_KIND = {
    "applicant": "firm",
    "reviewer": "department",
    "bureau": "bureau",
    "supervisor": "supervision",
    "admin": "admin",
}


def _org(s: DbSession, name: str, role: str, department: str | None) -> Organization:
    org = s.scalar(select(Organization).where(Organization.name == name))
    if org is None:
        org = Organization(name=name, kind=ORG_KIND[role], department=department)
        s.add(org)
        s.flush()
    elif org.kind != ORG_KIND[role]:
        raise HTTPException(422, detail=f"organisation '{name}' is a {org.kind}, not a {ORG_KIND[role]}")
    return org


@router.get("")
def list_users(user: CurrentUser, s: DbSession) -> list[dict[str, Any]]:
    """All users (administrator only)."""
    require_role(user, "admin")
    return [
        user_out(u).model_dump() | {"active": u.active}
        for u in s.scalars(select(User).order_by(User.id))
    ]


@router.post("", status_code=201)
def create_user(body: UserIn, user: CurrentUser, s: DbSession) -> dict[str, Any]:
    """Create a named user; reviewers need their department."""
    require_role(user, "admin")
    if (body.role == "reviewer") != (body.department is not None):
        raise HTTPException(422, detail="reviewers, and only reviewers, have a department")
    if s.scalar(select(User).where(User.username == body.username)) is not None:
        raise HTTPException(409, detail="user name taken")
    org = _org(s, body.organization, body.role, body.department)
    u = User(
        username=body.username, real_name=body.real_name,
        password_hash=hash_password(body.password), role=body.role,
        department=body.department, organization_id=org.id, email=body.email,
    )
    s.add(u)
    s.flush()
    s.refresh(u)
    audit.record(s, user, "user.create", "user", u.id,
                 after={"username": u.username, "role": u.role, "department": u.department})
    return user_out(u).model_dump() | {"active": u.active}


@router.patch("/{user_id}")
def change_user(user_id: int, body: UserPatch, user: CurrentUser, s: DbSession) -> dict[str, Any]:
    """Deactivate, change role or reset the password; the user's tokens stop working at once."""
    require_role(user, "admin")
    u = s.get(User, user_id)
    if u is None:
        raise not_found("user")
    before = {"active": u.active, "role": u.role, "department": u.department}
    if body.active is not None:
        u.active = body.active
    if body.role is not None:
        u.role = body.role
    if body.department is not None or body.role is not None:
        u.department = body.department
    if (u.role == "reviewer") != (u.department is not None):
        raise HTTPException(422, detail="reviewers, and only reviewers, have a department")
    if body.password is not None:
        u.password_hash = hash_password(body.password)
    revoke_tokens(s, u.id)
    audit.record(s, user, "user.change", "user", u.id, before=before,
                 after={"active": u.active, "role": u.role, "department": u.department,
                        "password_reset": body.password is not None})
    return user_out(u).model_dump() | {"active": u.active}
