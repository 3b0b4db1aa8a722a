"""The one gate: may a principal open a database, read or write a document in it?

Every read path — document, listings, responses, history, attachments, the
changes feed, and the views, search, replication and UI built on them — asks
``may_read``; every write asks ``may_write``, ``may_create`` or ``may_delete``.
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

OPEN = "open"  # see that the database exists and what one may do in it
READ = "read"
CREATE = "create"
WRITE = "write"
DELETE = "delete"
MANAGE = "manage"  # read and change the ACL
CREATE_DATABASE = "create_database"
ADMINISTER = "administer"  # server-wide: the audit log
AUTHENTICATED = "authenticated"


def database_access(principal, database) -> Access:
    """The ACL's answer for ``principal`` in ``database``, capped by its credential."""
    if principal is None:
        return effective_access(acl_of(database), None)
    key = (database.name, id(database.design))
    cached = principal.access_cache.get(key)
    if cached is not None:
        return cached
    if principal.token_database is not None and principal.token_database != database.name:
        answer = NO_ACCESS
    else:
        answer = effective_access(acl_of(database), principal.names, principal.kind)
        if principal.read_only and answer.level > READER:
            answer = Access(READER, answer.roles)
    principal.access_cache[key] = answer
    return answer


def _visible_to(principal, access: Access):
    """A test ``readers -> bool`` for this principal's names and roles in one database."""
    names = (principal.names if principal is not None else frozenset()) | {
        fold(role) for role in access.roles
    }
    return lambda listed: not names.isdisjoint(listed)


def _listed(document, access: Access, principal) -> bool:
    if document.readers is None:
        return True
    return _visible_to(principal, access)(document.readers | document.authors)


def may_open(principal, database) -> bool:
    return database_access(principal, database).level >= DEPOSITOR


def may_read(principal, database, document=None) -> bool:
    """May ``principal`` read ``database`` (and ``document`` in it)?"""
    access = database_access(principal, database)
    if access.level < READER:
        return False
    return document is None or _listed(document, access, principal)


def readable_filter(principal, database):
    """``document -> bool`` for a listing: the ACL is worked out once, not per row."""
    access = database_access(principal, database)
    if access.level < READER:
        return lambda document: False
    return lambda document: _listed(document, access, principal)


def visible_count(principal, database) -> int:
    """How many live documents of ``database`` the principal may read."""
    access = database_access(principal, database)
    if access.level < READER:
        return 0
    return database.visible_count(_visible_to(principal, access))


def may_create(principal, database) -> bool:
    return database_access(principal, database).may_create


def may_write(principal, database, document=None) -> bool:
    """May ``principal`` change ``document`` (or create one when it is None)?"""
    if document is None:
        return may_create(principal, database)
    access = database_access(principal, database)
    if access.level < AUTHOR or not _listed(document, access, principal):
        return False
    if access.level >= EDITOR:
        return True
    return _visible_to(principal, access)(document.authors)


def may_delete(principal, database, document) -> bool:
    return database_access(principal, database).can_delete and may_write(principal, database, document)


def may_manage(principal, database) -> bool:
    return database_access(principal, database).level >= MANAGER


def may_administer(principal, root) -> bool:
    """Server administrators are the Managers of the Directory."""
    directory = root.databases.get(DIRECTORY)
    return principal is not None and directory is not None and may_manage(principal, directory)


def may_create_database(principal, root) -> bool:
    return may_administer(principal, root) and not (principal.read_only or principal.token_database)


_DOCUMENT_CHECKS = {READ: may_read, WRITE: may_write, DELETE: may_delete}
_DATABASE_CHECKS = {OPEN: may_open, CREATE: may_create, MANAGE: may_manage}


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
