"""The server root: the one object at the top of a Domus ZODB."""
from __future__ import annotations

import os

from BTrees.OOBTree import OOBTree
from persistent import Persistent
from zope.interface import implementer

from core.database import Database
from core.exceptions import AlreadyExists, DatabaseNotFound
from core.interfaces import IServerRoot

ROOT_KEY = "domus"


@implementer(IServerRoot)
class ServerRoot(Persistent):
    def __init__(self) -> None:
        self.server_uuid = os.urandom(16).hex()
        self.databases = OOBTree()
        self.tokens = OOBTree()
        self.evolution = 0

    def add_database(self, database: Database) -> Database:
        if database.name in self.databases:
            raise AlreadyExists(f"database {database.name!r} already exists")
        self.databases[database.name] = database
        return database

    def get_database(self, name: str) -> Database:
        database = self.databases.get(name) if isinstance(name, str) else None
        if database is None:
            raise DatabaseNotFound(f"no database named {name!r}")
        return database


def server_root(connection) -> ServerRoot:
    """The ServerRoot of an open connection, created on first use."""
    zodb_root = connection.root()
    root = zodb_root.get(ROOT_KEY)
    if root is None:
        root = zodb_root[ROOT_KEY] = ServerRoot()
    return root


def root_of(obj) -> ServerRoot | None:
    """The ServerRoot of the connection a stored object was loaded through (None if unsaved)."""
    connection = getattr(obj, "_p_jar", None)
    return server_root(connection) if connection is not None else None
