"""Request dependencies: the runtime (settings, database, storage), a session, the user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from review_api.models import User
from review_api.security import user_for_token
from tasks.stages import Runtime

__all__ = ["CurrentUser", "CurrentUserAlone", "DbSession", "RuntimeDep", "get_runtime"]

_bearer = HTTPBearer(auto_error=False, description="令牌来自 POST /api/auth/login")


def get_runtime(request: Request) -> Runtime:
    """The application's runtime, set by ``create_app``."""
    rt: Runtime = request.app.state.runtime
    return rt


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(rt: RuntimeDep) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on error."""
    with rt.db.session() as s:
        yield s


DbSession = Annotated[Session, Depends(get_session, scope="function")]  # commit before answering


def _user_or_401(s: Session, rt: Runtime, credentials: HTTPAuthorizationCredentials | None) -> User:
    user = None if credentials is None else user_for_token(s, rt.settings, credentials.credentials)
    if user is None:
        raise HTTPException(
            401,
            detail="未登录或登录已过期 / not logged in or the login has expired",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


def current_user_alone(
    rt: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The logged-in user, looked up in a short transaction of its own: for handlers that keep
    no request session open (an upload reads its body first; a long rendering opens its
    sessions when it needs them). 401 without a valid token."""
    with rt.db.session() as s:
        return _user_or_401(s, rt, credentials)


def current_user(
    rt: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    s: DbSession,
) -> User:
    """The logged-in user, looked up in the request's own session on PostgreSQL: one
    connection and one transaction per request. On SQLite that session's first statement
    takes the write lock, which a handler that chains the audit trail first must not hold
    yet, so there the lookup reads apart. 401 without a valid token."""
    if rt.db.is_sqlite:
        return current_user_alone(rt, credentials)
    return _user_or_401(s, rt, credentials)


CurrentUser = Annotated[User, Depends(current_user)]
CurrentUserAlone = Annotated[User, Depends(current_user_alone)]
