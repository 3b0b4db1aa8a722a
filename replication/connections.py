"""Replication connections: documents in the Directory that the worker runs on schedule.

As in Domino, a connection is a document (form ``Connection``) in the
Directory: ``Source`` and ``Target`` (URLs of ``/replication/{db}``
endpoints), ``Direction`` (``push``: source to target; ``both``: then back),
``IntervalMinutes``, an optional selective ``Filter`` formula, ``Enabled``,
and ``Credentials``: the *name* of an entry in the operator's credentials
file (``{var_dir}/replication-credentials.json``, ``{"name": {"user": …,
"password": …}}``), so no password sits in a document that replicates.
Every run leaves a history entry (start, end, documents read and written,
conflicts, refusals, the error if it failed), shown by
``GET /api/replication/history``.
"""
from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from BTrees.LOBTree import LOBTree
from BTrees.OOBTree import OOTreeSet
from zope.interface import implementer

from core.exceptions import DomusError
from core.identity import DIRECTORY
from core.interfaces import IScheduledTask
from core.plugins import hookimpl
from core.writes import utc_now
from replication.peers import HttpTransport, Peer
from replication.replicator import Replicator

log = logging.getLogger(__name__)

FORM = "Connection"
INDEX = "replication.connections"
HISTORY = "replication.history"
HISTORY_LIMIT = 10000
CREDENTIALS_FILE = "replication-credentials.json"


def _annotation(directory, key: str, factory):
    table = directory.annotations.get(key)
    if table is None:
        table = directory.annotations[key] = factory()
    return table


@hookimpl
def after_save(database, document, revision, principal):
    """Keep the set of live Connection documents, so the worker never scans the Directory."""
    if database.name != DIRECTORY:
        return
    current = document.current()
    is_connection = not current.deleted and current.items.get("Form") == FORM
    index = database.annotations.get(INDEX)
    if is_connection:
        _annotation(database, INDEX, OOTreeSet).add(document.unid)
    elif index is not None and document.unid in index:
        index.remove(document.unid)


def record_history(directory, entry: dict[str, object]) -> None:
    history = _annotation(directory, HISTORY, LOBTree)
    key = time.time_ns()
    while key in history:
        key += 1
    history[key] = entry
    while len(history) > HISTORY_LIMIT:
        del history[history.minKey()]


def newest_history(directory, limit: int) -> list[dict[str, object]]:
    history = directory.annotations.get(HISTORY)
    if history is None:
        return []
    keys = list(history.keys())[-limit:]
    return [dict(history[key]) for key in reversed(keys)]


def _last_start(directory, unid: str) -> float:
    history = directory.annotations.get(HISTORY)
    for key in reversed(list(history.keys())) if history is not None else ():
        if history[key].get("connection") == unid:
            return key / 1e9
    return 0.0


class Credentials:
    """Names -> (user, password), read from the operator's file when a connection needs one."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def auth(self, name: object) -> tuple[str, str] | None:
        if not name:
            return None
        try:
            entries = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError) as error:
            raise DomusError(f"credentials file {self.path} cannot be read: {error}") from None
        entry = entries.get(name) if isinstance(entries, dict) else None
        if not isinstance(entry, dict) or not isinstance(entry.get("user"), str):
            raise DomusError(f"credentials {name!r} are not in {self.path}")
        return entry["user"], str(entry.get("password", ""))


def run_connection(items: dict, credentials: Credentials) -> list[dict[str, object]]:
    """Run one connection now (each direction a run); the history entries it made."""
    auth = credentials.auth(items.get("Credentials"))
    source = Peer(str(items.get("Source", "")), HttpTransport(auth))
    target = Peer(str(items.get("Target", "")), HttpTransport(auth))
    pairs = [(source, target)] + ([(target, source)] if items.get("Direction") == "both" else [])
    entries = []
    for one, other in pairs:
        entry: dict[str, object] = {"source": one.url, "target": other.url, "started": utc_now()}
        try:
            report = Replicator(one, other, selection=items.get("Filter") or None).run()
            entry.update(docsRead=report.docs_read, docsWritten=report.docs_written,
                         conflicts=report.conflicts, failures=report.failures,
                         errors=report.errors[:20], error=None)
        except DomusError as error:
            entry.update(docsRead=0, docsWritten=0, conflicts=0, failures=0, errors=[],
                         error=error.message)
        entry["ended"] = utc_now()
        entries.append(entry)
        if entry["error"]:
            break  # the way back would fail for the same reason
    return entries


@implementer(IScheduledTask)
class ScheduledConnections:
    """Runs every enabled connection whose interval has passed since its last run."""

    name = "replication-connections"
    interval_seconds = 20

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials

    def run(self, root, now: float) -> None:
        directory = root.databases.get(DIRECTORY)
        index = directory.annotations.get(INDEX) if directory is not None else None
        for unid in list(index or ()):
            items = directory.documents[unid].current().items
            if items.get("Enabled") is False:
                continue
            minutes = items.get("IntervalMinutes", 60)
            interval = minutes * 60 if isinstance(minutes, (int, float)) and minutes > 0 else 3600
            if now - _last_start(directory, unid) < interval:
                continue
            for entry in run_connection(items, self.credentials):
                record_history(directory, {"connection": unid, **entry})
                log.info("replication %s -> %s: %s", entry["source"], entry["target"],
                         entry.get("error") or f"{entry['docsWritten']} written")


@hookimpl
def register_scheduled_tasks(settings):
    path = Path(settings["domus.var_dir"]).resolve() / CREDENTIALS_FILE
    return [ScheduledConnections(Credentials(path))]

