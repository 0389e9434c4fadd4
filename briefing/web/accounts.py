"""Who may use the review desk: accounts, sessions, failed logins, and the one-time local link.

Two roles: a *reviewer* edits and saves drafts; a *publisher* also publishes corrections. Passwords are
hashed with argon2id (argon2-cffi); the store keeps only the hash. A session is a random token in an
HttpOnly, SameSite=Strict cookie; the store keeps its SHA-256, the user, the role and the session's CSRF
token. Removing an account ends its sessions.

Failed logins are counted per account name and per client address. The first ``FREE_FAILURES`` cost
nothing more than argon2's own work; after that, every login for that name or address is refused for
``LOCK_S`` seconds after the last failure, doubling with each further failure (at most ``LOCK_MAX_S``).
A successful login clears the count of its name.

With no account at all, ``briefing review serve`` on a loopback address prints a one-time link carrying a
random token (as Jupyter does); the first visit to it opens a publisher session for the local officer.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from briefing.core import text
from briefing.core.errors import InputError, NotFoundError
from briefing.core.results import Result, optional
from briefing.core.store import Store, now_iso

ROLES = ("reviewer", "publisher")
SESSION_S = 12 * 3600
FREE_FAILURES = 5
LOCK_S = 30.0
LOCK_MAX_S = 15 * 60.0
LOCAL_USER = "local"
MIN_PASSWORD = 10


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# -- accounts --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Account(Result):
    """An account of the review desk (``created_at`` as listed; an account just added shows none)."""

    name: str
    role: str  # reviewer | publisher
    created_at: str | None = optional()


def add_user(store: Store, name: str, password: str, role: str) -> Account:
    name = " ".join(text.check(name, "the account name", max_len=text.NAME_MAX).split())
    if not name or name == LOCAL_USER:
        raise InputError(f"{name!r} cannot be an account name", hint="choose another name, e.g. the officer's login")
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}", hint="use --role reviewer or --role publisher")
    if len(password) < MIN_PASSWORD:
        raise InputError(f"the password is shorter than {MIN_PASSWORD} characters", hint="choose a longer one")
    if store.query("SELECT 1 FROM review_users WHERE name = ?", (name,)):
        raise InputError(
            f"the account {name!r} exists already", hint=f"remove it first with: briefing review users remove {name!r}"
        )
    digest = _hasher().hash(password)
    with store.tx() as db:
        db.execute(
            "INSERT INTO review_users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
            (name, role, digest, now_iso()),
        )
    return Account(name, role)


def list_users(store: Store) -> list[Account]:
    return [
        Account(r["name"], r["role"], r["created_at"])
        for r in store.query("SELECT name, role, created_at FROM review_users ORDER BY name")
    ]


def remove_user(store: Store, name: str) -> None:
    with store.tx() as db:
        gone = db.execute("DELETE FROM review_users WHERE name = ?", (name,)).rowcount
        db.execute("DELETE FROM review_sessions WHERE user = ?", (name,))
    if not gone:
        raise NotFoundError(f"no account named {name!r}", hint="see them with: briefing review users list")


def has_users(store: Store) -> bool:
    return bool(store.query("SELECT 1 FROM review_users LIMIT 1"))


# -- failed logins ---------------------------------------------------------------------------------------
def _lock_s(failures: int) -> float:
    if failures < FREE_FAILURES:
        return 0.0
    return min(LOCK_MAX_S, LOCK_S * 2 ** (failures - FREE_FAILURES))


def wait_s(store: Store, keys: list[str], now: float | None = None) -> float:
    """Seconds before a login for these keys is considered again (0: now)."""
    now = time.time() if now is None else now
    wait = 0.0
    for k in keys:
        for r in store.query("SELECT failures, last_at FROM review_login_failures WHERE key = ?", (k,)):
            wait = max(wait, r["last_at"] + _lock_s(r["failures"]) - now)
    return max(0.0, wait)


def failures(store: Store, key: str) -> int:
    rows = store.query("SELECT failures FROM review_login_failures WHERE key = ?", (key,))
    return int(rows[0]["failures"]) if rows else 0


def _failed(store: Store, keys: list[str]) -> None:
    now = time.time()
    with store.tx() as db:
        for k in keys:
            db.execute(
                "INSERT INTO review_login_failures (key, failures, last_at) VALUES (?, 1, ?) "
                "ON CONFLICT(key) DO UPDATE SET failures = failures + 1, last_at = excluded.last_at",
                (k, now),
            )


@dataclass(frozen=True)
class Login:
    ok: bool
    user: str = ""
    role: str = ""
    wait_s: float = 0.0  # > 0: refused without looking at the password (too many failures)


def check_login(store: Store, name: str, password: str, addr: str) -> Login:
    from argon2.exceptions import InvalidHashError, VerificationError

    keys = [f"user:{name}", f"addr:{addr}"]
    wait = wait_s(store, keys)
    if wait > 0:
        return Login(False, wait_s=wait)
    rows = store.query("SELECT name, role, password_hash FROM review_users WHERE name = ?", (name,))
    ph = _hasher()
    if not rows:
        try:  # the same work as for a real account, so a missing name answers no sooner
            ph.verify(ph.hash("x" * MIN_PASSWORD), password or "-")
        except VerificationError:
            pass
        _failed(store, keys)
        return Login(False)
    try:
        ph.verify(rows[0]["password_hash"], password)
    except (VerificationError, InvalidHashError):
        _failed(store, keys)
        return Login(False)
    with store.tx() as db:
        db.execute("DELETE FROM review_login_failures WHERE key = ?", (f"user:{name}",))
    return Login(True, rows[0]["name"], rows[0]["role"])


# -- sessions --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Session:
    user: str
    role: str
    csrf: str

    @property
    def may_publish(self) -> bool:
        return self.role == "publisher"


def open_session(store: Store, user: str, role: str) -> str:
    """A new session; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = time.time()
    with store.tx() as db:
        db.execute("DELETE FROM review_sessions WHERE expires_at < ?", (now,))
        db.execute(
            "INSERT INTO review_sessions (token_sha256, user, role, csrf, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (_sha(token), user, role, secrets.token_urlsafe(32), now_iso(), now + SESSION_S),
        )
    return token


def session(store: Store, token: str | None) -> Session | None:
    if not token:
        return None
    rows = store.query(
        "SELECT user, role, csrf, expires_at FROM review_sessions WHERE token_sha256 = ?", (_sha(token),)
    )
    if not rows or rows[0]["expires_at"] < time.time():
        return None
    r = rows[0]
    if r["user"] != LOCAL_USER:  # an account's role is read again: a changed or removed account counts now
        acc = store.query("SELECT role FROM review_users WHERE name = ?", (r["user"],))
        if not acc:
            return None
        return Session(r["user"], acc[0]["role"], r["csrf"])
    return Session(r["user"], r["role"], r["csrf"])


def close_session(store: Store, token: str | None) -> None:
    if token:
        with store.tx() as db:
            db.execute("DELETE FROM review_sessions WHERE token_sha256 = ?", (_sha(token),))


class OneTimeToken:
    """The token of the local login link: good for one visit."""

    def __init__(self) -> None:
        self.value: str | None = secrets.token_urlsafe(24)

    def take(self, given: str | None) -> bool:
        value = self.value
        if value is None or not given or not hmac.compare_digest(value, given):
            return False
        self.value = None
        return True
