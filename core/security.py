"""Who is asking: HTTP Basic, a bearer API token, or a session cookie.

``DomusSecurityPolicy`` is Pyramid's security policy: it finds the identity
once per request and answers permission checks through ``core.access``, so
no view checks access by hand.  An ``Authorization`` header wins over a
cookie: API clients and replicating servers send one, browsers the cookie.

Passwords: verified ones are remembered for a few minutes (keyed by a hash
of name, password and stored hash, so a changed password is never served
from the cache); otherwise every Basic request would pay argon2's deliberate
slowness.  Failures are counted by ``core.throttle`` and every real check,
refusal and lock-out goes to the audit log.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import time
from datetime import UTC, datetime

from pyramid.security import Allowed, Denied
from webob.cookies import make_cookie

from core import access, identity, sessions, tokens
from core.exceptions import TooManyAttempts
from core.principal import Principal


def now_utc() -> datetime:
    return datetime.now(UTC)


class VerifiedPasswords:
    """A small time-limited memory of successful password checks."""

    def __init__(self, seconds: float, size: int = 4096) -> None:
        self.seconds = seconds
        self.size = size
        self._expiry: dict[bytes, float] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(name: str, password: str, stored: str) -> bytes:
        return hashlib.sha256("\0".join((name, password, stored)).encode("utf-8")).digest()

    def __contains__(self, key: bytes) -> bool:
        expiry = self._expiry.get(key)
        return expiry is not None and expiry > time.monotonic()

    def add(self, key: bytes) -> None:
        with self._lock:
            if len(self._expiry) >= self.size:
                now = time.monotonic()
                self._expiry = {k: v for k, v in self._expiry.items() if v > now}
                if len(self._expiry) >= self.size:
                    self._expiry.clear()
            self._expiry[key] = time.monotonic() + self.seconds


def principal_for(root, login: str, via: str, **limits) -> Principal | None:
    """The Principal of a live Person or Server ``login``, with its groups resolved."""
    directory = root.databases.get(identity.DIRECTORY)
    if directory is None:
        return None
    document, kind = identity.find_login(directory, login)
    if document is None:
        return None
    items = document.current().items
    name = items["UserName" if kind == "person" else "ServerName"]
    return Principal(name, via, kind, identity.names_of(directory, name), **limits)


def _credentials(request) -> tuple[str, str, str] | None:
    """``(scheme, name, secret)`` from the Authorization header, if it is well formed."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ("basic", "", "")
        name, sep, password = decoded.partition(":")
        return ("basic", name, password) if sep and name else ("basic", "", "")
    if scheme.lower() == "bearer" and value.strip():
        return ("bearer", "", value.strip())
    return None


class DomusSecurityPolicy:
    """Pyramid security policy over Basic, bearer and session-cookie credentials."""

    def __init__(self, verified: VerifiedPasswords, throttle, audit, settings) -> None:
        self.verified = verified
        self.throttle = throttle
        self.audit = audit
        self.session_hours = settings["domus.session_hours"]
        self.secure_cookie = settings["domus.secure_cookies"]

    # -- identity --------------------------------------------------------
    def identity(self, request) -> Principal | None:
        cache = request.environ
        if "domus.identity" not in cache:
            cache["domus.identity"] = None  # a failure below must not be retried
            cache["domus.identity"] = self._authenticate(request)
        return cache["domus.identity"]

    def _authenticate(self, request) -> Principal | None:
        credentials = _credentials(request)
        if credentials is not None:
            scheme, name, secret = credentials
            if scheme == "bearer":
                return self._by_token(request, secret)
            return self.check_password(request, name, secret, "basic") if name else None
        cookie = request.cookies.get(sessions.COOKIE)
        return self._by_session(request, cookie) if cookie else None

    def check_password(self, request, login: str, password: str, via: str) -> Principal | None:
        """The Principal for a correct login and password, else None (counted, audited)."""
        address = request.client_addr
        wait = self.throttle.wait_seconds(login, address)
        if wait > 0:
            self.audit.record("login.throttled", login, address, via=via)
            raise TooManyAttempts(
                f"too many failed logins; try again in {int(wait) + 1} s", retry_after=int(wait) + 1
            )
        root = request.root_object
        principal = principal_for(root, login, via)
        directory = root.databases.get(identity.DIRECTORY)
        stored = None
        if principal is not None:
            stored = identity.stored_hash(directory, identity.find_login(directory, login)[0])
        key = VerifiedPasswords.key(login, password, stored or "")
        if stored and key in self.verified:
            return principal
        if not stored:
            identity.spend_like_a_check(password)
        if not stored or not identity.password_matches(stored, password):
            locked = self.throttle.failed(login, address)
            self.audit.record("login.failed", login, address, via=via)
            if locked:
                self.audit.record("login.locked", login, address, via=via)
            return None
        self.verified.add(key)
        self.throttle.succeeded(login, address)
        self.audit.record("login.succeeded", principal.name, address, via=via)
        return principal

    def _by_token(self, request, plain: str) -> Principal | None:
        now = now_utc()
        token = tokens.find_token(request.root_object, plain, now)
        if token is None:
            self.audit.record("token.rejected", None, request.client_addr,
                              token=tokens.token_id_of(plain))
            return None
        return principal_for(
            request.root_object, token.owner, "token",
            token_id=token.id, token_database=token.database, read_only=token.read_only,
        )

    def _by_session(self, request, cookie: str) -> Principal | None:
        root = request.root_object
        session = sessions.find_session(root, cookie, now_utc())
        principal = principal_for(root, session.user, "session") if session else None
        if principal is None:
            self.audit.record("session.rejected", None, request.client_addr)
            return None
        sessions.note_csrf_token(request, cookie)
        return principal

    def authenticated_userid(self, request) -> str | None:
        principal = self.identity(request)
        return principal.name if principal else None

    def permits(self, request, context, permission):
        if access.permits(self.identity(request), context, permission):
            return Allowed(f"{permission} granted by core.access")
        return Denied(f"{permission} refused by core.access")

    # -- sessions --------------------------------------------------------
    def _cookie(self, request, value: str, max_age: int) -> list[tuple[str, str]]:
        secure = self.secure_cookie == "true" or (
            self.secure_cookie == "auto" and request.scheme == "https"
        )
        cookie = make_cookie(sessions.COOKIE, value, max_age=max_age, path="/", secure=secure,
                             httponly=True, samesite="Lax")
        return [("Set-Cookie", cookie)]

    def remember(self, request, userid: str, principal: Principal | None = None, **kw):
        """Open a new session for a principal who just proved their password."""
        self.forget(request)  # a cookie the browser brought is never reused: new id per login
        kind = principal.kind if principal else "person"
        cookie = sessions.open_session(request.root_object, userid, kind, now_utc(),
                                       self.session_hours, request.client_addr)
        sessions.note_csrf_token(request, cookie)
        return self._cookie(request, cookie, int(self.session_hours * 3600))

    def forget(self, request, **kw):
        cookie = request.cookies.get(sessions.COOKIE)
        if cookie:
            session = sessions.close_session(request.root_object, cookie)
            if session is not None:
                self.audit.record("logout", session.user, request.client_addr)
        return self._cookie(request, "", 0)
