"""Users as Person documents in the Directory database, as in Domino.

A Person document carries ``UserName`` (what one logs in with), ``FullName``
and, when saved with a new password, an item ``Password``.  This built-in
plugin takes the password out of the items before the revision is made and
keeps only its argon2 hash, beside the document, so no read path, feed,
history or replica can ever show it.  An index from user name to UNID makes
the login look-up one BTree get.
"""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from BTrees.OOBTree import OOBTree
from persistent import Persistent

from core.plugins import hookimpl

DIRECTORY = "directory"
PERSON_FORM = "Person"
_hasher = PasswordHasher()


class IdentityState(Persistent):
    """What the directory database keeps for logins, beside its documents."""

    def __init__(self) -> None:
        self.people = OOBTree()  # lowercase user name -> UNID
        self.names = OOBTree()  # UNID -> lowercase user name
        self.credentials = OOBTree()  # UNID -> argon2 hash


def identity_state(directory) -> IdentityState:
    state = directory.annotations.get("identity")
    if state is None:
        state = directory.annotations["identity"] = IdentityState()
    return state


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _user_name(items) -> str | None:
    name = items.get("UserName")
    return name.strip().lower() if isinstance(name, str) and name.strip() else None


def find_person(directory, user_name: str):
    """The live Person document for ``user_name`` (any case), or None."""
    unid = identity_state(directory).people.get(user_name.strip().lower())
    document = directory.documents.get(unid) if unid else None
    return document if document is not None and not document.deleted else None


def stored_hash(directory, document) -> str | None:
    return identity_state(directory).credentials.get(document.unid)


def _is_person(database, items) -> bool:
    return database.name == DIRECTORY and items.get("Form") == PERSON_FORM


@hookimpl
def validate_document(database, document, items, previous, principal):
    if not _is_person(database, items):
        return []
    name = _user_name(items)
    if name is None:
        return [{"item": "UserName", "message": "a Person needs a UserName"}]
    owner = identity_state(database).people.get(name)
    if owner is not None and owner != document.unid:
        return [{"item": "UserName", "message": f"user name {name!r} is taken"}]
    password = items.get("Password")
    if password is not None and (not isinstance(password, str) or len(password) < 8):
        return [{"item": "Password", "message": "a password needs at least 8 characters"}]
    return []


@hookimpl
def before_save(database, document, items, previous, principal):
    if database.name != DIRECTORY or "Password" not in items:
        return
    password = items.pop("Password")
    if items.get("Form") == PERSON_FORM and password:
        identity_state(database).credentials[document.unid] = hash_password(password)


@hookimpl
def after_save(database, document, revision, principal):
    """Keep the user-name index in step with the winning revision."""
    if database.name != DIRECTORY:
        return
    state = identity_state(database)
    current = document.current()
    is_person = not current.deleted and current.items.get("Form") == PERSON_FORM
    new_name = _user_name(current.items) if is_person else None
    old_name = state.names.get(document.unid)
    if old_name and old_name != new_name and state.people.get(old_name) == document.unid:
        del state.people[old_name]
    if new_name:
        state.people[new_name] = document.unid
        state.names[document.unid] = new_name
    else:
        state.names.pop(document.unid, None)
