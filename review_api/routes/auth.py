"""Login, logout and the current user."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from review_api import audit
from review_api.deps import CurrentUser, CurrentUserAlone, DbSession, RuntimeDep
from review_api.models import User
from review_api.schemas import LoginIn, LoginOut, UserOut
from review_api.security import LoginThrottled, authenticate, issue_token, revoke_tokens

router = APIRouter(prefix="/api/auth", tags=["auth 登录"])


def user_out(u: User) -> UserOut:
    """The public view of a user."""
    return UserOut(
        id=u.id,
        username=u.username,
        real_name=u.real_name,
        role=u.role,
        department=u.department,
        organization=u.organization.name,
    )


@router.post("/login", response_model=LoginOut, responses={401: {}, 429: {}})
def login(body: LoginIn, rt: RuntimeDep, s: DbSession) -> LoginOut:
    """Exchange user name and password for a bearer token (failed attempts are throttled)."""
    try:
        user = authenticate(s, rt.settings, body.username, body.password)
    except LoginThrottled as exc:
        raise HTTPException(
            429,
            detail="登录失败次数过多，请稍后再试 / too many failed logins, try again later",
            headers={"Retry-After": str(exc.retry_after)},
        ) from None
    if user is None:
        s.commit()  # keep the failed attempt for throttling even though we answer 401
        raise HTTPException(401, detail="用户名或密码错误 / wrong user name or password")
    token, expires = issue_token(s, rt.settings, user)
    audit.record(s, user, "auth.login", "user", user.id)
    return LoginOut(access_token=token, expires_at=expires, user=user_out(user))


@router.post("/logout", status_code=204)
def logout(user: CurrentUser, s: DbSession) -> None:
    """Revoke every token of the current user."""
    revoke_tokens(s, user.id)
    audit.record(s, user, "auth.logout", "user", user.id)


@router.get("/me", response_model=UserOut)
def me(user: CurrentUserAlone) -> UserOut:
    """The logged-in user."""
    return user_out(user)
