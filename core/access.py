"""The one gate: may a principal open a database, read or write a document in it?

Every read path — document, listings, responses, history, attachments, the
changes feed, and the views, search, replication and UI built on them — asks
``may_read``, and ``may_read_revision`` for a revision other than the current
one; every write asks ``may_write``, ``may_create`` or ``may_delete``.
The answer combines the database ACL (``core.acl``: level, roles, flags) with
the document's Readers and Authors items (``core.readers``), under the limits
of the caller's credential (a token bound to one database, or read-only).
Pyramid's security policy calls ``permits`` with the route's context, so no
view checks access by hand.

Domino's rules, kept here in one place:

- No Access sees nothing; a Depositor may only create documents; a Reader
  reads; an Author reads and edits the documents whose Authors items name
  them (and creates documents when the ACL flag allows); an Editor edits every
  document they can read; Designers and Managers also change the design, and
  Managers the ACL.
- A document with non-empty Readers items is visible only to the names,
  groups and roles in its Readers and Authors items: Managers included.
- Deleting needs the ACL's "may delete documents" flag on top of write access.
"""
from __future__ import annotations

from core.acl import (
    AUTHOR,
    DEPOSITOR,
    DESIGNER,
    EDITOR,
    MANAGER,
    NO_ACCESS,
    READER,
    Access,
    acl_of,
    effective_access,
    fold,
)
from core.identity import DIRECTORY
from core.readers import revision_readers

OPEN = "open"  # see that the database exists and what one may do in it
READ = "read"
CREATE = "create"
WRITE = "write"
DELETE = "delete"
MANAGE = "manage"  # read and change the ACL
DESIGN = "design"  # change forms and views
CREATE_DATABASE = "create_database"
ADMINISTER = "administer"  # server-wide: the audit log
AUTHENTICATED = "authenticated"


class _Viewer:
    """One principal in one database: its access, its names with roles, a memo of reader sets."""

    __slots__ = ("access", "names", "_seen")

    def __init__(self, access: Access, names: frozenset[str]) -> None:
        self.access = access
        self.names = names | {fold(role) for role in access.roles}
        self._seen: dict = {}

    def may_see(self, readers) -> bool:
        """``readers`` (a set or sorted tuple of names, None for everyone) lets this principal in?"""
        if readers is None:
            return True
        answer = self._seen.get(readers)
        if answer is None:
            answer = self._seen[readers] = not self.names.isdisjoint(readers)
        return answer


def _viewer(principal, database) -> _Viewer:
    if principal is None:
        return _Viewer(effective_access(acl_of(database), None), frozenset())
    key = (database.name, id(database.design))
    viewer = principal.access_cache.get(key)
    if viewer is None:
        if principal.token_database is not None and principal.token_database != database.name:
            answer = NO_ACCESS
        else:
            answer = effective_access(acl_of(database), principal.names, principal.kind)
            if principal.read_only and answer.level > READER:
                answer = Access(READER, answer.roles)
        viewer = principal.access_cache[key] = _Viewer(answer, principal.names)
    return viewer


def database_access(principal, database) -> Access:
    """The ACL's answer for ``principal`` in ``database``, capped by its credential."""
    return _viewer(principal, database).access


def may_open(principal, database) -> bool:
    return database_access(principal, database).level >= DEPOSITOR


def may_read(principal, database, document=None) -> bool:
    """May ``principal`` read ``database`` (and ``document`` in it)?"""
    viewer = _viewer(principal, database)
    if viewer.access.level < READER:
        return False
    return document is None or viewer.may_see(document.readers)


def may_read_revision(principal, database, document, revision) -> bool:
    """May ``principal`` read ``revision`` of ``document``: the current Readers *and* its own?

    Every path that serves a revision other than the current one (history,
    ``?rev=``, ``open_revs``, ``_bulk_get``, old attachments, conflicts) asks
    this, so text an edit removed stays behind the Readers it was saved with.
    The current revision's lists are the document's own (``may_read``); a
    deletion stub has no items, so it is readable when the document is.
    """
    if not may_read(principal, database, document):
        return False
    if revision.rev == document.winner:
        return True
    return _viewer(principal, database).may_see(revision_readers(database.design, revision))


def readable_filter(principal, database):
    """``document -> bool`` for a listing: the ACL is worked out once, not per row."""
    viewer = _viewer(principal, database)
    if viewer.access.level < READER:
        return lambda document: False
    return lambda document: viewer.may_see(document.readers)


def row_filter(principal, database):
    """``readers -> bool`` for rows that carry their Readers names (views, search results)."""
    viewer = _viewer(principal, database)
    if viewer.access.level < READER:
        return lambda readers: False
    return viewer.may_see


def readable_unids(principal, database):
    """``unid -> bool`` that answers from the database's reader index, without loading documents.

    Listings walk keys with it and load only what they will show, so hidden
    documents cost a BTree lookup, not a database read.
    """
    viewer = _viewer(principal, database)
    if viewer.access.level < READER:
        return lambda unid: False
    return lambda unid: viewer.may_see(database.readers_of(unid))


def visible_count(principal, database) -> int:
    """How many live documents of ``database`` the principal may read."""
    viewer = _viewer(principal, database)
    if viewer.access.level < READER:
        return 0
    return database.visible_count(viewer.may_see)


def may_create(principal, database) -> bool:
    return database_access(principal, database).may_create


def may_write(principal, database, document=None) -> bool:
    """May ``principal`` change ``document`` (or create one when it is None)?"""
    if document is None:
        return may_create(principal, database)
    viewer = _viewer(principal, database)
    if viewer.access.level < AUTHOR or not viewer.may_see(document.readers):
        return False
    return viewer.access.level >= EDITOR or not viewer.names.isdisjoint(document.authors)


def may_delete(principal, database, document) -> bool:
    return database_access(principal, database).can_delete and may_write(principal, database, document)


def may_design(principal, database) -> bool:
    return database_access(principal, database).level >= DESIGNER


def may_manage(principal, database) -> bool:
    return database_access(principal, database).level >= MANAGER


def may_administer(principal, root) -> bool:
    """Server administrators are the Managers of the Directory."""
    directory = root.databases.get(DIRECTORY)
    return principal is not None and directory is not None and may_manage(principal, directory)


def may_create_database(principal, root) -> bool:
    return may_administer(principal, root) and not (principal.read_only or principal.token_database)


_DOCUMENT_CHECKS = {READ: may_read, WRITE: may_write, DELETE: may_delete}
_DATABASE_CHECKS = {OPEN: may_open, CREATE: may_create, DESIGN: may_design, MANAGE: may_manage}


def permits(principal, context, permission: str) -> bool:
    """Pyramid's permission check, expressed through the gate."""
    database = getattr(context, "database", None)
    document = getattr(context, "document", None)
    if permission in _DOCUMENT_CHECKS and database is not None:
        if document is None and permission != READ:
            return False
        return _DOCUMENT_CHECKS[permission](principal, database, document)
    if permission in _DATABASE_CHECKS and database is not None:
        return _DATABASE_CHECKS[permission](principal, database)
    if permission == CREATE_DATABASE:
        return may_create_database(principal, context.root)
    if permission == ADMINISTER:
        return may_administer(principal, context.root)
    if permission == AUTHENTICATED:
        return principal is not None
    return False
