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

__all__ = ["CurrentUser", "DbSession", "RuntimeDep", "get_runtime"]

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


def current_user(
    rt: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The logged-in user; 401 without a valid token.

    Looked up in a short transaction of its own, so that a handler that works without the
    request's session (uploads) holds no database lock while it reads the body.
    """
    user = None
    if credentials is not None:
        with rt.db.session() as s:
            user = user_for_token(s, rt.settings, credentials.credentials)
    if user is None:
        raise HTTPException(
            401,
            detail="未登录或登录已过期 / not logged in or the login has expired",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


CurrentUser = Annotated[User, Depends(current_user)]
