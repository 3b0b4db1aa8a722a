"""The one gate: may a principal read or write a database or a document?

Every read path (document, listing, responses, history, attachments, changes,
and later views, search, replication, UI) asks ``may_read``; every write asks
``may_write``.  Until database ACLs and Readers/Authors items arrive, every
authenticated principal may do everything and anonymous users nothing; the
security work replaces the bodies of these functions, not their callers.
"""
from __future__ import annotations

READ = "read"
WRITE = "write"
CREATE_DATABASE = "create_database"
AUTHENTICATED = "authenticated"

PERMISSIONS = (READ, WRITE, CREATE_DATABASE, AUTHENTICATED)


def may_read(principal, database, document=None) -> bool:
    """May ``principal`` see ``database`` (and ``document`` in it)?"""
    return principal is not None


def may_write(principal, database, document=None) -> bool:
    """May ``principal`` change ``document`` (or create one when it is None)?"""
    return principal is not None


def may_create_database(principal) -> bool:
    return principal is not None


def permits(principal, context, permission: str) -> bool:
    """Pyramid's permission check, expressed through the gate."""
    database = getattr(context, "database", None)
    document = getattr(context, "document", None)
    if permission == READ:
        return may_read(principal, database, document)
    if permission == WRITE:
        return may_write(principal, database, document)
    if permission == CREATE_DATABASE:
        return may_create_database(principal)
    if permission == AUTHENTICATED:
        return principal is not None
    return False
