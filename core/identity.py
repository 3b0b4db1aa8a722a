"""People, servers and groups as documents in the Directory database, as in Domino.

A Person document carries ``UserName`` (what one logs in with), ``FullName``
and, when saved with a new password, an item ``Password``; a Server document
``ServerName`` and the same ``Password`` item for the credential peers use
when they replicate with us; a Group document ``ListName`` and ``Members``
(people, servers and other groups).  This built-in plugin takes the password
out of the items before the revision is made and keeps only its argon2 hash,
beside the document, so no read path, feed, history or replica ever shows it.
A revision that arrives by replication or import cannot be changed (its id
fixes its items), so one that carries a password is refused instead.

Indexes beside the documents make every question the gate asks one BTree get:
who a login name is, and which groups directly contain a name.  All names are
compared case-folded.
"""
from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from BTrees.OOBTree import OOBTree, OOTreeSet
from persistent import Persistent

from core import sessions, tokens
from core.acl import fold
from core.plugins import hookimpl
from core.root import root_of

DIRECTORY = "directory"
PERSON_FORM = "Person"
SERVER_FORM = "Server"
GROUP_FORM = "Group"
ADMINISTRATORS = "Администраторы"
_NAME_ITEM = {PERSON_FORM: "UserName", SERVER_FORM: "ServerName", GROUP_FORM: "ListName"}
_LOGIN_FORMS = (PERSON_FORM, SERVER_FORM)
MAX_GROUP_MEMBERS = 10000
_hasher = PasswordHasher()


class IdentityState(Persistent):
    """What the directory database keeps for logins and groups, beside its documents."""

    def __init__(self) -> None:
        self.people = OOBTree()  # folded user name -> UNID
        self.servers = OOBTree()  # folded server name -> UNID
        self.groups = OOBTree()  # folded group name -> tuple of folded member names
        self.member_of = OOBTree()  # folded member name -> OOTreeSet of folded group names
        self.entries = OOBTree()  # UNID -> (form, folded name) as last indexed
        self.credentials = OOBTree()  # UNID -> argon2 hash

    def index_for(self, form: str) -> OOBTree | None:
        return {PERSON_FORM: self.people, SERVER_FORM: self.servers}.get(form)


def identity_state(directory) -> IdentityState:
    state = directory.annotations.get("identity")
    if state is None:
        state = directory.annotations["identity"] = IdentityState()
    return state


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@functools.cache
def _decoy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def spend_like_a_check(password: str) -> None:
    """Verify against a decoy so that an unknown login takes as long as a wrong password."""
    password_matches(_decoy_hash(), password)


def password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _entry_name(items) -> str | None:
    """The folded directory name of a Person, Server or Group item set, if it has one."""
    item = _NAME_ITEM.get(items.get("Form"))
    name = items.get(item) if item else None
    return fold(name) if isinstance(name, str) and name.strip() else None


def _members(items) -> tuple[str, ...]:
    members = items.get("Members") or []
    if isinstance(members, str):
        members = [members]
    return tuple(sorted({fold(m) for m in members if isinstance(m, str) and m.strip()}))


def find_login(directory, login: str):
    """The live Person or Server document one logs in as with ``login``, and its kind."""
    state = identity_state(directory)
    for kind, index in (("person", state.people), ("server", state.servers)):
        unid = index.get(fold(login))
        document = directory.documents.get(unid) if unid else None
        if document is not None and not document.deleted:
            return document, kind
    return None, None


def find_person(directory, user_name: str):
    """The live Person document for ``user_name`` (any case), or None."""
    document, kind = find_login(directory, user_name)
    return document if kind == "person" else None


def stored_hash(directory, document) -> str | None:
    return identity_state(directory).credentials.get(document.unid)


def groups_containing(directory, name: str) -> frozenset[str]:
    """Every group that holds ``name`` directly or through other groups (cycles end the walk)."""
    member_of = identity_state(directory).member_of
    found: set[str] = set()
    pending = [fold(name)]
    while pending:
        for group in member_of.get(pending.pop(), ()):
            if group not in found:
                found.add(group)
                pending.append(group)
    return frozenset(found)


def names_of(directory, name: str) -> frozenset[str]:
    """``name`` and all its groups, folded: what ACL entries and Readers items are matched against."""
    return groups_containing(directory, name) | {fold(name)}


def is_known_name(directory, name: str) -> bool:
    """Is ``name`` a person, server or group of the directory?"""
    state = identity_state(directory)
    folded = fold(name)
    return folded in state.people or folded in state.servers or folded in state.groups


def _is_directory_entry(database, items) -> bool:
    return database.name == DIRECTORY and items.get("Form") in _NAME_ITEM


@hookimpl
def validate_document(database, document, items, previous, principal, grafted):
    if grafted and database.name == DIRECTORY and "Password" in items:
        # ``before_save`` would hash and strip it, but a grafted revision's items are fixed.
        return [{"item": "Password",
                 "message": "passwords are set through the API and never replicated"}]
    if not _is_directory_entry(database, items):
        return []
    form = items["Form"]
    name = _entry_name(items)
    if name is None:
        return [{"item": _NAME_ITEM[form], "message": f"a {form} needs a {_NAME_ITEM[form]}"}]
    state = identity_state(database)
    owners = {state.people.get(name, document.unid), state.servers.get(name, document.unid)}
    if owners != {document.unid} or (
        name in state.groups and state.entries.get(document.unid) != (GROUP_FORM, name)
    ):
        return [{"item": _NAME_ITEM[form], "message": f"the name {name!r} is taken"}]
    if form == GROUP_FORM:
        return _group_problems(database, document, name, items)
    password = items.get("Password")
    if password is not None and (not isinstance(password, str) or len(password) < 8):
        return [{"item": "Password", "message": "a password needs at least 8 characters"}]
    return []


def _group_problems(database, document, name: str, items) -> list[dict[str, str]]:
    members = _members(items)
    if len(members) > MAX_GROUP_MEMBERS:
        return [{"item": "Members", "message": f"a group holds at most {MAX_GROUP_MEMBERS} names"}]
    enclosing = groups_containing(database, name) | {name}
    looping = sorted(m for m in members if m in enclosing)
    if looping:
        return [{"item": "Members",
                 "message": f"{', '.join(looping)} already contains {name!r}: groups may not loop"}]
    return []


@hookimpl
def before_save(database, document, items, previous, principal):
    if database.name != DIRECTORY or "Password" not in items:
        return
    password = items.pop("Password")
    if items.get("Form") in _LOGIN_FORMS and password:
        identity_state(database).credentials[document.unid] = hash_password(password)
        _end_credentials(database, items)


def _end_credentials(database, items) -> None:
    """A new password ends every session and API token of the login, so one who knew the
    old password (or held a copied cookie or token) is out at once."""
    name, root = _entry_name(items), root_of(database)
    if name is not None and root is not None:
        sessions.end_sessions(root, name)
        tokens.revoke_tokens_of(root, name)


@hookimpl
def after_save(database, document, revision, principal):
    """Keep the name and group indexes in step with the winning revision."""
    if database.name != DIRECTORY:
        return
    state = identity_state(database)
    current = document.current()
    items = current.items if not current.deleted else {}
    entry = (items.get("Form"), _entry_name(items)) if _entry_name(items) else None
    old = state.entries.get(document.unid)
    if old is not None:
        _unindex(state, document.unid, *old)
    if entry is not None:
        _index(state, document.unid, *entry, _members(items))


def _unindex(state: IdentityState, unid: str, form: str, name: str) -> None:
    del state.entries[unid]
    index = state.index_for(form)
    if index is not None and index.get(name) == unid:
        del index[name]
    if form == GROUP_FORM:
        for member in state.groups.pop(name, ()):
            groups = state.member_of.get(member)
            if groups is not None and name in groups:
                groups.remove(name)


def _index(state: IdentityState, unid: str, form: str, name: str, members: tuple[str, ...]) -> None:
    state.entries[unid] = (form, name)
    index = state.index_for(form)
    if index is not None:
        index[name] = unid
    if form == GROUP_FORM:
        state.groups[name] = members
        for member in members:
            groups = state.member_of.get(member)
            if groups is None:
                groups = state.member_of[member] = OOTreeSet()
            groups.add(name)
