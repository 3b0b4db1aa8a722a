"""Domino's replica rules, in one place: the replica ID and the purge interval.

- Two Domus databases replicate only if they share a replica ID: a database
  made from the same template elsewhere is another database, not a replica.
  A foreign peer (PouchDB, CouchDB) has no replica ID; the ACL alone governs it.
- A replica that has not replicated for longer than the purge interval may
  hold documents whose deletion stubs are gone here: replicating would bring
  them back to life, so it is refused and a fresh replica must be made.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from core.exceptions import DomusError


class ReplicaMismatch(DomusError):
    """The two databases are not replicas of one another."""

    status, code = 409, "not_a_replica"


class ReplicaTooOld(DomusError):
    """The peer last replicated before deletion stubs it never saw were purged."""

    status, code = 410, "replica_too_old"


def check_since(database, since: int) -> None:
    """Refuse a feed read from a sequence that missed a purged deletion."""
    if 0 < since < database.purged_seq:
        raise ReplicaTooOld(
            f"this replica of {database.name!r} last replicated at sequence {since}; deletion "
            f"stubs older than the purge interval ({database.purge_interval_days} days) were "
            "purged since, so replicating would bring deleted documents back. Make a new "
            "replica (domus replicate --create-replica) instead."
        )


def check_replica_ids(source_id: str | None, target_id: str | None) -> None:
    """Two Domus databases must share a replica ID; a foreign peer has none to compare."""
    if source_id and target_id and source_id != target_id:
        raise ReplicaMismatch(
            f"the databases are not replicas of one another (replica IDs {source_id} and "
            f"{target_id}); make a replica with domus replicate --create-replica"
        )


def check_last_replication(last: str | None, purge_interval_days: int, now: datetime) -> None:
    """Refuse a pair that last replicated longer ago than the purge interval."""
    if not last:
        return
    when = datetime.fromisoformat(last.replace("Z", "+00:00"))
    if now - when > timedelta(days=purge_interval_days):
        raise ReplicaTooOld(
            f"these replicas last replicated on {last}, longer ago than the purge interval of "
            f"{purge_interval_days} days: deleted documents could come back. Make a new replica "
            "(domus replicate --create-replica) instead."
        )
