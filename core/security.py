"""Who is asking: HTTP Basic against the Directory, or a bearer API token.

``DomusSecurityPolicy`` is Pyramid's security policy: it finds the identity
once per request and answers permission checks through ``core.access``, so
no view checks access by hand.  Verified passwords are remembered for a few
minutes (keyed by a hash of name, password and stored hash, so a changed
password is never served from the cache); otherwise every Basic request would
pay argon2's deliberate slowness.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import time
from dataclasses import dataclass

from pyramid.security import Allowed, Denied

from core import access, identity, tokens
from core.exceptions import DatabaseNotFound


@dataclass(frozen=True)
class Principal:
    """An authenticated user: the name every write records."""

    name: str
    via: str  # "basic" or "token"
    token_id: str | None = None


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


def check_password(root, user_name: str, password: str, verified: VerifiedPasswords):
    """The Principal for a correct user name and password, else None."""
    try:
        directory = root.get_database(identity.DIRECTORY)
    except DatabaseNotFound:
        return None
    person = identity.find_person(directory, user_name)
    stored = identity.stored_hash(directory, person) if person is not None else None
    if not stored:
        return None
    key = VerifiedPasswords.key(user_name, password, stored)
    if key not in verified:
        if not identity.password_matches(stored, password):
            return None
        verified.add(key)
    return Principal(person.current().items["UserName"], "basic")


def _credentials(request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        name, sep, password = decoded.partition(":")
        return (name, password) if sep and name else None
    if scheme.lower() == "bearer" and value.strip():
        return ("", value.strip())
    return None


class DomusSecurityPolicy:
    """Pyramid security policy over Basic and bearer credentials."""

    def __init__(self, verified: VerifiedPasswords) -> None:
        self.verified = verified

    def identity(self, request) -> Principal | None:
        cache = request.environ
        if "domus.identity" not in cache:
            cache["domus.identity"] = self._authenticate(request)
        return cache["domus.identity"]

    def _authenticate(self, request) -> Principal | None:
        credentials = _credentials(request)
        if credentials is None:
            return None
        name, secret = credentials
        root = request.root_object
        if not name:
            token = tokens.find_token(root, secret)
            return Principal(token.owner, "token", token.id) if token else None
        return check_password(root, name, secret, self.verified)

    def authenticated_userid(self, request) -> str | None:
        principal = self.identity(request)
        return principal.name if principal else None

    def permits(self, request, context, permission):
        if access.permits(self.identity(request), context, permission):
            return Allowed(f"{permission} granted by core.access")
        return Denied(f"{permission} refused by core.access")

    def remember(self, request, userid, **kw):
        return []

    def forget(self, request, **kw):
        return []
