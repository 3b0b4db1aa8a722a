"""API tokens: created and revoked by their owner, stored only as a hash.

A token reads ``domus_<id>_<secret>``.  The id finds the record in one BTree
get; the secret is compared by its SHA-256 (tokens are random, so a fast hash
is enough, unlike passwords).  The plain token is shown once, at creation.
A token may be bound to one database and to reading only, and it expires
(after a year unless its owner asks for less): a replication script or an
integration gets exactly the access it needs.  A new password revokes every
token of its owner, and the Managers of the Directory list and revoke anyone's.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from persistent import Persistent

from core.acl import fold
from core.exceptions import BadRequest, NotFound

PREFIX = "domus_"
DEFAULT_DAYS = 365
MAX_DAYS = 3650


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TokenScope:
    """What a new token may do: everything its owner may, or less."""

    label: str
    database: str | None = None
    read_only: bool = False
    days: int = DEFAULT_DAYS

    @classmethod
    def from_json(cls, body: object, databases) -> TokenScope:
        if not isinstance(body, dict):
            raise BadRequest('send {"label": "…", "database": "…", "readOnly": true, "days": 30}')
        label, database = body.get("label"), body.get("database")
        read_only, days = body.get("readOnly", False), body.get("days", DEFAULT_DAYS)
        if not isinstance(label, str) or not label.strip() or len(label) > 200:
            raise BadRequest("a token needs a 'label' string of at most 200 characters")
        if database is not None and (not isinstance(database, str) or database not in databases):
            raise BadRequest(f"'database' must name an existing database, got {database!r}")
        if not isinstance(read_only, bool):
            raise BadRequest("'readOnly' must be true or false")
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
            raise BadRequest(f"'days' must be a whole number from 1 to {MAX_DAYS}")
        return cls(label.strip(), database, read_only, days)


class ApiToken(Persistent):
    def __init__(self, token_id: str, owner: str, scope: TokenScope, created: datetime,
                 secret: str) -> None:
        self.id = token_id
        self.owner = owner
        self.label = scope.label
        self.database = scope.database
        self.read_only = scope.read_only
        self.created = _iso(created)
        self.expires = _iso(created + timedelta(days=scope.days))
        self.secret_sha256 = _digest(secret)

    def expired(self, now: datetime) -> bool:
        return self.expires <= _iso(now)

    def describe(self) -> dict[str, object]:
        return {
            "id": self.id, "owner": self.owner, "label": self.label, "database": self.database,
            "readOnly": self.read_only, "created": self.created, "expires": self.expires,
        }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def create_token(root, owner: str, scope: TokenScope, now: datetime) -> tuple[ApiToken, str]:
    """A new token for ``owner``; returns the record and the plain token."""
    token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    token = ApiToken(token_id, owner, scope, now, secret)
    root.tokens[token_id] = token
    return token, f"{PREFIX}{token_id}_{secret}"


def token_id_of(plain: str) -> str | None:
    """The id part of a presented token (safe to log), or None if it is not one of ours."""
    if not plain.startswith(PREFIX):
        return None
    token_id, sep, _ = plain[len(PREFIX):].partition("_")
    return token_id if sep and token_id.isalnum() and len(token_id) <= 32 else None


def find_token(root, plain: str, now: datetime) -> ApiToken | None:
    """The live token record matching a presented bearer token, or None."""
    token_id = token_id_of(plain)
    token = root.tokens.get(token_id) if token_id else None
    if token is None or token.expired(now):
        return None
    secret = plain[len(PREFIX) + len(token_id) + 1:]
    if not hmac.compare_digest(token.secret_sha256, _digest(secret)):
        return None
    return token


def tokens_of(root, owner: str) -> list[ApiToken]:
    """The tokens of ``owner`` (any case)."""
    folded = fold(owner)
    return [token for token in root.tokens.values() if fold(token.owner) == folded]


def revoke_token(root, token_id: str, owner: str | None) -> ApiToken:
    """Revoke a token of ``owner`` (None: of anyone, for an administrator); returns it."""
    token = root.tokens.get(token_id)
    if token is None or (owner is not None and fold(token.owner) != fold(owner)):
        raise NotFound(f"you have no token {token_id!r}")
    del root.tokens[token_id]
    return token


def revoke_tokens_of(root, owner: str) -> list[str]:
    """Revoke every token of ``owner`` (a new password); returns their ids."""
    revoked = [token.id for token in tokens_of(root, owner)]
    for token_id in revoked:
        del root.tokens[token_id]
    return revoked
