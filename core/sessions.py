"""Login sessions for the web UI: a random cookie, a server-side record, a CSRF token.

The cookie reads ``<id>.<secret>``; the server keeps, under the id, the user,
the expiry and only a SHA-256 of the secret — so a copy of the database does
not let anyone log in, and logging out (deleting the record) kills the cookie
everywhere, even on other app servers of a ZEO cluster.  Each login makes a
new session (the id changes on every login, so a planted cookie is useless).

The CSRF token of a session is an HMAC of its secret: nothing to store, the
same for the session's lifetime, and unknowable without the cookie.  Every
unsafe request authenticated by the cookie must carry it (``X-CSRF-Token``
header or ``csrf_token`` form field); Pyramid's CSRF machinery checks it.

Sessions last ``domus.session_hours`` from login; reading requests never
write, so there is no sliding expiry.  The worker purges expired records.
A new password ends its user's sessions (``end_sessions``), and the
Managers of the Directory list and end anyone's: the session id is what they
see, never the secret.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from BTrees.OOBTree import OOBTree
from persistent import Persistent
from pyramid.interfaces import ICSRFStoragePolicy
from zope.interface import implementer

from core.acl import fold

COOKIE = "domus_session"
_ENVIRON_KEY = "domus.csrf_token"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class Session(Persistent):
    def __init__(self, user: str, kind: str, secret: str, created: datetime, hours: float,
                 address: str | None) -> None:
        self.user = user
        self.kind = kind
        self.secret_sha256 = _digest(secret)
        self.created = created
        self.expires = created + timedelta(hours=hours)
        self.address = address


def cookies_are_secure(request) -> bool:
    """Mark login cookies ``Secure``?  ``domus.secure_cookies``: true, false, or auto (over HTTPS)."""
    setting = request.registry.settings["domus.secure_cookies"]
    return setting == "true" or (setting == "auto" and request.scheme == "https")


def sessions_of(root) -> OOBTree:
    sessions = getattr(root, "sessions", None)
    if sessions is None:
        sessions = root.sessions = OOBTree()
    return sessions


def open_session(root, user: str, kind: str, now: datetime, hours: float,
                 address: str | None) -> str:
    """Store a new session; returns the cookie value (shown to the browser only)."""
    session_id, secret = secrets.token_hex(16), secrets.token_urlsafe(32)
    sessions_of(root)[session_id] = Session(user, kind, secret, now, hours, address)
    return f"{session_id}.{secret}"


def _split(cookie: str) -> tuple[str, str] | None:
    session_id, sep, secret = cookie.partition(".")
    if not sep or len(session_id) != 32 or not secret or len(secret) > 128:
        return None
    return session_id, secret


def session_id_of(cookie: str) -> str | None:
    """The id part of a cookie (safe to show and log), or None if it is not one of ours."""
    parts = _split(cookie)
    return parts[0] if parts else None


def describe(session_id: str, session: Session) -> dict[str, object]:
    """What an administrator may see of a session: never its secret or its hash."""
    return {"id": session_id, "user": session.user, "created": _iso(session.created),
            "expires": _iso(session.expires), "address": session.address}


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def sessions_of_user(root, user: str, now: datetime) -> list[tuple[str, Session]]:
    """The live sessions of ``user`` (any case), oldest first."""
    folded = fold(user)
    found = [(sid, session) for sid, session in sessions_of(root).items()
             if fold(session.user) == folded and session.expires > now]
    return sorted(found, key=lambda pair: pair[1].created)


def end_session(root, session_id: str) -> Session | None:
    """End one session by its id (an administrator's revocation); returns it if there was one."""
    return sessions_of(root).pop(session_id, None) if isinstance(session_id, str) else None


def end_sessions(root, user: str, keep: str | None = None) -> list[str]:
    """End every session of ``user`` but ``keep``; returns the ids ended."""
    folded = fold(user)
    sessions = sessions_of(root)
    ended = [sid for sid, session in sessions.items()
             if fold(session.user) == folded and sid != keep]
    for session_id in ended:
        del sessions[session_id]
    return ended


def find_session(root, cookie: str, now: datetime) -> Session | None:
    """The live session a cookie names, or None (unknown, forged, expired, logged out)."""
    parts = _split(cookie)
    sessions = getattr(root, "sessions", None)
    session = sessions.get(parts[0]) if parts and sessions is not None else None
    if session is None or session.expires <= now:
        return None
    if not hmac.compare_digest(session.secret_sha256, _digest(parts[1])):
        return None
    return session


def close_session(root, cookie: str) -> Session | None:
    """Forget the session a cookie names (logout); returns it if there was one."""
    parts = _split(cookie)
    sessions = getattr(root, "sessions", None)
    if parts is None or sessions is None or parts[0] not in sessions:
        return None
    session = sessions[parts[0]]
    if not hmac.compare_digest(session.secret_sha256, _digest(parts[1])):
        return None
    del sessions[parts[0]]
    return session


def purge_expired(root, now: datetime) -> int:
    sessions = getattr(root, "sessions", None)
    if sessions is None:
        return 0
    expired = [sid for sid, session in sessions.items() if session.expires <= now]
    for session_id in expired:
        del sessions[session_id]
    return len(expired)


def csrf_token_for(cookie: str) -> str:
    parts = _split(cookie)
    secret = parts[1] if parts else cookie
    return hmac.new(secret.encode("utf-8"), b"domus-csrf", hashlib.sha256).hexdigest()


def note_csrf_token(request, cookie: str) -> None:
    """Remember the session's CSRF token on the request (the security policy calls this)."""
    request.environ[_ENVIRON_KEY] = csrf_token_for(cookie)


@implementer(ICSRFStoragePolicy)
class SessionCSRFPolicy:
    """Pyramid's CSRF storage, backed by the session cookie instead of a session store."""

    def new_csrf_token(self, request) -> str:
        return self.get_csrf_token(request)

    def get_csrf_token(self, request) -> str:
        return session_csrf_token(request)

    def check_csrf_token(self, request, supplied_token: str) -> bool:
        expected = self.get_csrf_token(request)
        return bool(expected) and hmac.compare_digest(expected.encode(), str(supplied_token).encode())


def session_csrf_token(request) -> str:
    """The CSRF token of the request's session ("" without one): for pages and login answers."""
    request.identity  # noqa: B018 - authenticating notes the token
    return request.environ.get(_ENVIRON_KEY, "")


def cookie_authenticated(request) -> bool:
    """Should Pyramid check the CSRF token?  Only when the browser's cookie proved who this is."""
    principal = request.identity
    return principal is not None and principal.via == "session"
