"""Passwords, bearer tokens and login throttling.

- Passwords are hashed with Argon2id (argon2-cffi's defaults). An unknown user name still costs
  one verification against a dummy hash, so response time does not tell which names exist.
- Tokens are 256-bit random strings handed to the client once; the database keeps only their
  HMAC-SHA-256 under the server's secret key. A token is checked against the database on every
  request, so deactivating a user or changing a role takes effect at the next request.
- Failed logins are counted per user name in the database (shared by every API process); above
  the limit within the window the answer is 429 until enough failures have left the window
  (``Retry-After`` says when). Counting and recording one attempt happen under a per-name lock,
  so parallel guesses cannot all slip in under the limit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import os
import secrets
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, delete, select, text
from sqlalchemy.orm import InstrumentedAttribute, Session

from review_api.models import LoginAttempt, Token, UploadAttempt, User, utcnow
from review_api.settings import Settings

__all__ = [
    "UploadThrottled",
    "authenticate",
    "hash_password",
    "issue_token",
    "note_upload",
    "purge_stale",
    "revoke_tokens",
    "secret_key",
    "user_for_token",
    "verify_password",
]

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("dummy password for unknown users")


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """True when ``password`` matches ``stored``; never raises for a bad hash."""
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


_KEYS: dict[Path, bytes] = {}


def secret_key(settings: Settings) -> bytes:
    """The key for token hashes: the setting, or a random key created once in the data dir."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path: Path = (settings.data_dir / "secret.key").resolve()
    if path not in _KEYS:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
            tmp.write_text(secrets.token_hex(32))
            tmp.chmod(0o600)
            try:  # link, not rename: of two processes starting at once, the first key wins
                os.link(tmp, path)
            except FileExistsError:
                pass
            tmp.unlink()
        _KEYS[path] = path.read_text().strip().encode()
    return _KEYS[path]


def _digest(key: bytes, token: str) -> str:
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


class Throttled(Exception):
    """A rate limit was reached; ``retry_after`` is in seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limit reached, retry after {retry_after} s")
        self.retry_after = retry_after


class UploadThrottled(Throttled):
    """Too many uploads started by this user within a minute."""


UPLOAD_WINDOW = dt.timedelta(minutes=1)


def note_upload(s: Session, settings: Settings, user_id: int) -> None:
    """Count an upload the user starts, before its body is read (ASVS 5.2.4: a per-user quota).

    Every started upload counts, refused ones included: checking a package costs the server
    as much as storing it. Concurrent uploads of one user are serialised on PostgreSQL, so
    they cannot all pass the count at once (SQLite transactions run one at a time anyway).

    Raises:
        UploadThrottled: ``max_uploads_per_minute`` uploads were started within the minute.
    """
    _lock(s, f"lianshen.upload:{user_id}")
    now = utcnow()
    wait = _full_for(s, UploadAttempt.at, UploadAttempt.user_id == user_id,
                     settings.max_uploads_per_minute, UPLOAD_WINDOW, now)
    if wait is not None:
        raise UploadThrottled(wait)
    s.add(UploadAttempt(user_id=user_id, at=now))


def _full_for(
    s: Session, at: InstrumentedAttribute[dt.datetime], who: ColumnElement[bool], limit: int,
    window: dt.timedelta, now: dt.datetime,
) -> int | None:
    """Seconds until ``who`` may act again, or None while under ``limit`` within ``window``:
    allowed again once the oldest of the last ``limit`` events leaves the window."""
    recent = s.scalars(
        select(at).where(who, at >= now - window).order_by(at.desc()).limit(limit)
    ).all()
    if len(recent) < limit:
        return None
    return max(1, math.ceil((recent[-1] + window - now).total_seconds()))


class LoginThrottled(Throttled):
    """Too many failed logins for this user name."""


def _lock(s: Session, key: str) -> None:
    """Serialise the transactions that count against one limit until the transaction ends.

    Without it, parallel wrong guesses on PostgreSQL would all count the failures before any of
    them is recorded, and all get a password check. SQLite needs nothing: every transaction
    there starts with ``BEGIN IMMEDIATE`` and so already runs alone.
    """
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})


def authenticate(s: Session, settings: Settings, username: str, password: str) -> User | None:
    """The active user with these credentials, or None.

    Raises:
        LoginThrottled: the name had too many failures within the window.
    """
    _lock(s, f"lianshen.login:{username}")
    now = utcnow()
    window = dt.timedelta(seconds=settings.login_window_seconds)
    wait = _full_for(s, LoginAttempt.at, LoginAttempt.username == username,
                     settings.login_max_failures, window, now)
    if wait is not None:
        raise LoginThrottled(wait)
    user = s.scalar(select(User).where(User.username == username))
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not ok or not user.active:
        s.add(LoginAttempt(username=username[:80], at=now))
        return None
    s.execute(delete(LoginAttempt).where(LoginAttempt.username == username))
    return user


def issue_token(s: Session, settings: Settings, user: User) -> tuple[str, dt.datetime]:
    """A new bearer token for ``user`` and its expiry."""
    token = secrets.token_urlsafe(32)
    expires = utcnow() + dt.timedelta(minutes=settings.token_ttl_minutes)
    s.add(Token(user_id=user.id, token_hash=_digest(secret_key(settings), token), expires_at=expires))
    return token, expires


def user_for_token(s: Session, settings: Settings, token: str) -> User | None:
    """The active user a valid, unexpired, unrevoked token belongs to."""
    if not token or len(token) > 200:
        return None
    found = s.execute(
        select(Token.revoked, Token.expires_at, User)
        .join(User, User.id == Token.user_id)
        .where(Token.token_hash == _digest(secret_key(settings), token))
    ).first()
    if found is None:
        return None
    revoked, expires_at, user = found
    return None if revoked or expires_at <= utcnow() or not user.active else user


def revoke_tokens(s: Session, user_id: int) -> None:
    """Revoke every token of a user (logout everywhere, deactivation, role change)."""
    for t in s.scalars(select(Token).where(Token.user_id == user_id, Token.revoked.is_(False))):
        t.revoked = True


TOKEN_KEPT_AFTER_EXPIRY = dt.timedelta(days=1)


def purge_stale(s: Session, settings: Settings, now: dt.datetime | None = None) -> tuple[int, int]:
    """Delete failed logins older than the throttling window, tokens expired over a day ago
    and upload counts older than a minute; returns how many logins and tokens. Neither decides anything any more, and a flood of guessed
    names would otherwise grow ``login_attempts`` without end."""
    now = now or utcnow()
    window = dt.timedelta(seconds=settings.login_window_seconds)
    attempts = s.execute(delete(LoginAttempt).where(LoginAttempt.at < now - window))
    tokens = s.execute(delete(Token).where(Token.expires_at < now - TOKEN_KEPT_AFTER_EXPIRY))
    s.execute(delete(UploadAttempt).where(UploadAttempt.at < now - UPLOAD_WINDOW))
    return int(attempts.rowcount or 0), int(tokens.rowcount or 0)  # type: ignore[attr-defined]
