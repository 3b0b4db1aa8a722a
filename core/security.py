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

Credentials that do not verify are never quietly taken for an anonymous
caller: the policy notes the failure and ``refuse_failed_credentials``, a
view deriver, answers ``401`` on every view, open ones included.  Views that
log in (their password comes in the body) say ``logs_in=True``: a stale
cookie must not stop a new login.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import time
from datetime import UTC, datetime

from pyramid.interfaces import ISecurityPolicy
from pyramid.security import Allowed, Denied
from pyramid.static import static_view
from webob.cookies import make_cookie

from core import access, identity, sessions, tokens
from core.exceptions import TooManyAttempts, Unauthorized
from core.principal import Principal

#: Where the policy notes, per request, which presented credential did not verify.
FAILED = "domus.failed_credentials"
_REFUSALS = {
    "basic": "the user name or password is wrong",
    "bearer": "the API token is unknown, expired or revoked",
    "session": "the session has ended (logged out, expired, revoked or the password changed): "
               "log in again",
}


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
                principal = self._by_token(request, secret)
            else:
                principal = self.check_password(request, name, secret, "basic") if name else None
        else:
            scheme, cookie = "session", request.cookies.get(sessions.COOKIE)
            if not cookie:
                return None
            principal = self._by_session(request, cookie)
        if principal is None:
            request.environ[FAILED] = scheme
        return principal

    def refusal_headers(self, request, scheme: str) -> list[tuple[str, str]]:
        """What a 401 for a failed credential says: a challenge for API clients, and for a
        browser's dead session no challenge (it would pop up a password dialog) but an
        order to drop the cookie."""
        if scheme == "session":
            return self._cookie(request, "", 0)
        realm = 'realm="Domus"'
        return [("WWW-Authenticate",
                 f'Bearer {realm}, error="invalid_token"' if scheme == "bearer" else f"Basic {realm}")]

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
        time.sleep(self.throttle.slowdown_seconds(login))  # a name failing from many addresses
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
        principal = principal_for(root, session.user, "session",
                                  session_id=sessions.session_id_of(cookie)) if session else None
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
        cookie = make_cookie(sessions.COOKIE, value, max_age=max_age, path="/",
                             secure=sessions.cookies_are_secure(request), httponly=True,
                             samesite="Lax")
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


def refuse_failed_credentials(view, info):
    """View deriver: credentials that do not verify are a 401 on every view, open ones too.

    Without it a wrong password, a revoked token or an ended session would be
    served as an anonymous caller wherever anonymous callers may go (``/api``,
    public pages), hiding the failure from the client.  Exception views are
    left alone (they run after the refusal), and so are static assets, which
    show nothing of anyone's and should cost no database work.
    """
    if (info.exception_only or info.options.get("logs_in")
            or isinstance(info.original_view, static_view)):
        return view

    def authenticated_view(context, request):
        if getattr(request, "exception", None) is None:
            request.identity  # noqa: B018 - authenticating notes a failure
            scheme = request.environ.get(FAILED)
            if scheme is not None:
                headers = request.registry.getUtility(ISecurityPolicy).refusal_headers(request, scheme)
                request.add_response_callback(
                    lambda _request, response: response.headerlist.extend(headers))
                raise Unauthorized(_REFUSALS[scheme])
        return view(context, request)

    return authenticated_view


refuse_failed_credentials.options = ("logs_in",)
