"""Opening the ZODB behind a server from one URI, and one connection per request."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlsplit

import transaction
import ZODB
import zodburi
from transaction.interfaces import NoTransaction
from ZODB.DemoStorage import DemoStorage

from core.groupcommit import is_reading
from core.root import server_root


def open_db(uri: str) -> ZODB.DB:
    """Open the storage named by ``uri``.

    ``memory://`` is a DemoStorage, which unlike zodburi's MappingStorage
    keeps blobs (in a temporary folder), so tests exercise attachments for
    real.  ``file://`` gets its folders created.
    """
    if uri.startswith("memory://"):
        return ZODB.DB(DemoStorage(), large_record_size=1 << 26)
    if uri.startswith("file://"):
        parts = urlsplit(uri)
        Path(parts.path).parent.mkdir(parents=True, exist_ok=True)
        for pair in parts.query.split("&"):
            if pair.startswith("blobstorage_dir="):
                Path(pair.split("=", 1)[1]).mkdir(parents=True, exist_ok=True)
    factory, dbkw = zodburi.resolve_uri(uri)
    storage = factory()
    return ZODB.DB(storage, **dbkw)


def request_connection(request):
    """The request's ZODB connection, joined to its transaction manager.

    Reading requests open one lazily and close it when the request finishes,
    after pyramid_tm has ended their transaction; writing requests use the
    connection of the group commit (``core.groupcommit``).
    """
    if not is_reading(request):
        return request.registry.committer.connection
    db = request.registry.zodb
    connection = db.open(transaction_manager=request.tm)
    request.add_finished_callback(lambda _request: connection.close())
    return connection


def request_root(request):
    return server_root(request.zodb_connection)


@contextmanager
def connection_scope(db) -> Iterator[tuple[transaction.TransactionManager, object]]:
    """A connection with its own explicit transaction manager, for CLI and worker code."""
    tm = transaction.TransactionManager(explicit=True)
    connection = db.open(transaction_manager=tm)
    try:
        yield tm, connection
    finally:
        with suppress(NoTransaction):
            tm.abort()
        connection.close()
