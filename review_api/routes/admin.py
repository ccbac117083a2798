"""Accounts: the administrator creates users and changes or deactivates them.

Every change to an account ends its logins at once (its tokens are revoked), and the platform
always keeps one active administrator: the last one can be neither deactivated nor demoted,
so nobody is ever locked out of user management.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from review_api import audit
from review_api.access import id_in_range, not_found, require_role
from review_api.deps import CurrentUser, DbSession
from review_api.models import Organization, User
from review_api.routes.auth import user_out
from review_api.schemas import UserIn, UserPatch
from review_api.security import hash_password, revoke_tokens

router = APIRouter(prefix="/api/users", tags=["admin 账户"])

_DEPARTMENT_RULE = (
    "审查人员必须指定部门，其他角色不能指定部门 / reviewers, and only reviewers, have a department"
)

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
    else:
        _fits(org, role, department)
    return org


def _fits(org: Organization, role: str, department: str | None) -> None:
    """422 unless a user of ``role`` (and ``department``) can belong to ``org``: an applicant
    to a design firm, a fire reviewer to the fire department, and so on."""
    if org.kind != ORG_KIND[role]:
        raise HTTPException(
            422,
            detail=f"单位“{org.name}”的类型是 {org.kind}，该角色需要 {ORG_KIND[role]} / "
            f"organisation '{org.name}' is a {org.kind}, not a {ORG_KIND[role]}",
        )
    if org.department is not None and department is not None and org.department != department:
        raise HTTPException(
            422,
            detail=f"单位“{org.name}”属于 {org.department} 部门，不是 {department} / "
            f"organisation '{org.name}' belongs to {org.department}, not {department}",
        )


def _keep_one_admin(s: DbSession, u: User, body: UserPatch) -> None:
    """409 when the change would leave no active administrator."""
    leaves = body.active is False or (body.role is not None and body.role != "admin")
    if not (u.role == "admin" and u.active and leaves):
        return
    others = s.scalar(
        select(func.count()).where(User.role == "admin", User.active.is_(True), User.id != u.id)
    )
    if not others:
        raise HTTPException(
            409,
            detail="至少需要保留一名启用的管理员，请先创建或启用另一名管理员 / the last active "
            "administrator cannot be deactivated or demoted; create or activate another first",
        )


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
        raise HTTPException(422, detail=_DEPARTMENT_RULE)
    if s.scalar(select(User).where(User.username == body.username)) is not None:
        raise HTTPException(409, detail="用户名已被使用 / user name taken")
    org = _org(s, body.organization, body.role, body.department)
    u = User(
        username=body.username, real_name=body.real_name,
        password_hash=hash_password(body.password), role=body.role,
        department=body.department, organization_id=org.id, email=body.email,
    )
    s.add(u)
    try:
        s.flush()
    except IntegrityError:  # the same name created at the same moment by another request
        raise HTTPException(409, detail="用户名已被使用 / user name taken") from None
    s.refresh(u)
    audit.record(s, user, "user.create", "user", u.id,
                 after={"username": u.username, "role": u.role, "department": u.department})
    return user_out(u).model_dump() | {"active": u.active}


@router.patch("/{user_id}")
def change_user(user_id: int, body: UserPatch, user: CurrentUser, s: DbSession) -> dict[str, Any]:
    """Deactivate, change role or reset the password; the user's tokens stop working at once."""
    require_role(user, "admin")
    u = s.get(User, user_id) if id_in_range(user_id) else None
    if u is None:
        raise not_found("user")
    before = {"active": u.active, "role": u.role, "department": u.department,
              "organization_id": u.organization_id}
    _keep_one_admin(s, u, body)
    if body.active is not None:
        u.active = body.active
    if body.role is not None:
        u.role = body.role
    if body.department is not None or body.role is not None:
        u.department = body.department
    if (u.role == "reviewer") != (u.department is not None):
        raise HTTPException(422, detail=_DEPARTMENT_RULE)
    if body.organization is not None:
        u.organization = _org(s, body.organization, u.role, u.department)
    else:  # a new role or department must still fit the organisation the user belongs to
        _fits(u.organization, u.role, u.department)
    if body.password is not None:
        u.password_hash = hash_password(body.password)
    revoke_tokens(s, u.id)
    audit.record(s, user, "user.change", "user", u.id, before=before,
                 after={"active": u.active, "role": u.role, "department": u.department,
                        "organization_id": u.organization.id,
                        "password_reset": body.password is not None})
    return user_out(u).model_dump() | {"active": u.active}
