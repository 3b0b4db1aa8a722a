"""Built-in housekeeping: purging deletion stubs past the purge interval, and expired sessions.

Domino keeps a deletion stub so replicas learn of the deletion; after the
database's purge interval the stub is removed for good.  A replica that has
not replicated for longer than that must not resurrect the document, which is
why replication refuses such a replica.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from zope.interface import implementer

from core.interfaces import IScheduledTask
from core.plugins import hookimpl
from core.sessions import purge_expired


def purge_stubs(database, now: datetime) -> int:
    """Remove this database's stubs older than its purge interval; return how many."""
    cutoff = now - timedelta(days=database.purge_interval_days)
    expired = [
        unid
        for unid, deleted_at in database.tombstones().items()
        if datetime.fromisoformat(deleted_at.replace("Z", "+00:00")) < cutoff
    ]
    for unid in expired:
        database.purge(unid)
    return len(expired)


@implementer(IScheduledTask)
class PurgeDeletionStubs:
    name = "purge-deletion-stubs"
    interval_seconds = 3600

    def run(self, root, now: float) -> None:
        moment = datetime.fromtimestamp(now, UTC)
        for database in root.databases.values():
            purge_stubs(database, moment)


@implementer(IScheduledTask)
class PurgeExpiredSessions:
    """Forget web sessions past their expiry (they are refused anyway; this frees the space)."""

    name = "purge-expired-sessions"
    interval_seconds = 600

    def run(self, root, now: float) -> None:
        purge_expired(root, datetime.fromtimestamp(now, UTC))


@hookimpl
def register_scheduled_tasks(settings):
    return [PurgeDeletionStubs(), PurgeExpiredSessions()]
