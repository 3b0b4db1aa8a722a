"""``domus check``: walk every database and report inconsistencies."""
from __future__ import annotations

from collections.abc import Callable

from core.root import server_root
from core.storage import connection_scope


def check_storage(db, report: Callable[[str], None]) -> list[str]:
    problems: list[str] = []
    with connection_scope(db) as (tm, connection):
        tm.begin()
        for name, database in server_root(connection).databases.items():
            found = database.verify()
            report(
                f"{name}: {database.document_count()} documents, "
                f"last seq {database.last_seq()}, {len(found)} problem(s)"
            )
            problems.extend(found)
            connection.cacheGC()
    return problems
