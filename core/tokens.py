"""API tokens: created and revoked by their owner, stored only as a hash.

A token reads ``domus_<id>_<secret>``.  The id finds the record in one BTree
get; the secret is compared by its SHA-256 (tokens are random, so a fast hash
is enough, unlike passwords).  The plain token is shown once, at creation.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from persistent import Persistent

from core.exceptions import BadRequest, NotFound

PREFIX = "domus_"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class ApiToken(Persistent):
    def __init__(self, token_id: str, owner: str, label: str, created: str, secret: str) -> None:
        self.id = token_id
        self.owner = owner
        self.label = label
        self.created = created
        self.secret_sha256 = _digest(secret)

    def describe(self) -> dict[str, object]:
        return {"id": self.id, "owner": self.owner, "label": self.label, "created": self.created}


def create_token(root, owner: str, label: object, created: str) -> tuple[ApiToken, str]:
    """A new token for ``owner``; returns the record and the plain token."""
    if not isinstance(label, str) or len(label) > 200:
        raise BadRequest("a token needs a 'label' string of at most 200 characters")
    token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    token = ApiToken(token_id, owner, label, created, secret)
    root.tokens[token_id] = token
    return token, f"{PREFIX}{token_id}_{secret}"


def find_token(root, plain: str) -> ApiToken | None:
    """The token record matching a presented bearer token, or None."""
    if not plain.startswith(PREFIX):
        return None
    token_id, _, secret = plain[len(PREFIX):].partition("_")
    token = root.tokens.get(token_id)
    if token is None or not hmac.compare_digest(token.secret_sha256, _digest(secret)):
        return None
    return token


def tokens_of(root, owner: str) -> list[ApiToken]:
    return [token for token in root.tokens.values() if token.owner == owner]


def revoke_token(root, token_id: str, owner: str) -> None:
    token = root.tokens.get(token_id)
    if token is None or token.owner != owner:
        raise NotFound(f"you have no token {token_id!r}")
    del root.tokens[token_id]
