"""The replicator: moves every change of one database to another, and remembers where it stopped.

The loop is CouchDB's: read the source's changes after the checkpoint, ask
the target which of those revisions it lacks (``_revs_diff``), fetch them with
their history and files (``_bulk_get``), write them with their own ids
(``_bulk_docs``, ``new_edits: false``), then store the checkpoint in
``_local/{replication id}`` on both sides.  A run that is interrupted starts
again from the checkpoint, and what already arrived is not sent again because
the target says it has it.  Two-way replication is two one-way runs.

Domino's rules apply between Domus databases (``replication.rules``): the
replica ID must match, and a pair that has not replicated within the purge
interval is refused.  A selective replication formula restricts which
documents the target receives.
"""
from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from core.writes import utc_now
from replication.couch import CREATED, META_FIELDS, MODIFIED, PARENT
from replication.peers import Peer, PeerError
from replication.rules import check_last_replication, check_replica_ids
from views.formula import Environment, EvaluationError, compile_formula

log = logging.getLogger(__name__)

CHECKPOINT_HISTORY = 5
#: Changes per page.  CouchDB's replicator takes 500; a Domus target stores a page in one
#: transaction, and a page of 1,000 writes each view-index page it touches once for twice the
#: documents (a third less commit time a document), while its files still fit one request.
BATCH_SIZE = 1000
LONGPOLL_MS = 10000
#: Seconds between checkpoints while a run is behind (CouchDB waits 30 s); a run that caught
#: up checkpoints at once.  An interrupted run reads at most this much again, and sends none of
#: it twice: the target's ``_revs_diff`` leaves out what already arrived.
CHECKPOINT_SECONDS = 5.0
#: Pages read ahead of the writer.  Two, because a target that takes turns between writers
#: (Domus's group commit) answers ``_revs_diff`` for page N+2 only after it stored page N; with
#: two pages ahead, the source serves ``_bulk_get`` while the target stores the page before.
READ_AHEAD = 2


@dataclass
class Report:
    """What one run did: the figures a connection's history keeps."""

    source: str
    target: str
    started: str = field(default_factory=utc_now)
    ended: str = ""
    docs_read: int = 0
    docs_written: int = 0
    docs_filtered: int = 0
    conflicts: int = 0  # documents moved that are in conflict at the source
    failures: int = 0
    last_seq: object = 0
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return dict(self.__dict__)


class Selection:
    """A selective replication formula: which documents the target receives.

    Deletions always pass, so a document that left the selection's scope
    while it was being deleted is still deleted on the replica.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.formula = compile_formula(source)

    def accepts(self, doc: dict) -> bool:
        if doc.get("_deleted"):
            return True
        items = {k: v for k, v in doc.items() if not k.startswith("_") and k not in META_FIELDS}
        env = Environment(items=items, unid=doc["_id"], parent_unid=doc.get(PARENT),
                          created=doc.get(CREATED, ""), modified=doc.get(MODIFIED, ""))
        try:
            return self.formula.test(env)
        except EvaluationError:
            return False


def _domus(info: dict) -> dict:
    extra = info.get("domus")
    return extra if isinstance(extra, dict) else {}


class Replicator:
    """One-way replication from ``source`` to ``target``."""

    def __init__(
        self,
        source: Peer,
        target: Peer,
        *,
        selection: str | None = None,
        batch_size: int = BATCH_SIZE,
        create_target: bool = False,
        continuous: bool = False,
        longpoll_ms: int = LONGPOLL_MS,
        progress: Callable[[int, int | None], None] = lambda done, total: None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.source, self.target = source, target
        self.selection = Selection(selection) if selection else None
        self.batch_size = batch_size
        self.create_target = create_target
        self.continuous = continuous
        self.longpoll_ms = longpoll_ms
        self.progress = progress
        self.now = now
        self.stopped = threading.Event()
        self.session_id = uuid.uuid4().hex

    def stop(self) -> None:
        """Ask a continuous run to end after its current batch."""
        self.stopped.set()

    # -- set-up ---------------------------------------------------------------
    def _prepare(self) -> tuple[dict, dict]:
        source_info = self.source.info()
        if source_info is None:
            raise PeerError(f"the source {self.source} does not exist", 404, "not_found")
        target_info = self.target.info()
        if target_info is None:
            if not self.create_target:
                raise PeerError(f"the target {self.target} does not exist; create it as a replica "
                                "(--create-replica)", 404, "not_found")
            domus = _domus(source_info)
            self.target.create(domus.get("replicaId"), domus.get("template"))
            target_info = self.target.info() or {}
        check_replica_ids(_domus(source_info).get("replicaId"), _domus(target_info).get("replicaId"))
        return source_info, target_info

    def replication_id(self) -> str:
        """Derived from both servers' uuids and databases, and the selection: stable across runs."""
        parts = (self.source.server_uuid(), self.source.name, self.target.server_uuid(),
                 self.target.name, self.selection.source if self.selection else "")
        return hashlib.md5("\0".join(parts).encode("utf-8")).hexdigest()

    def _start_seq(self, rep_id: str, purge_days: int) -> tuple[object, dict | None, dict | None]:
        """The sequence both checkpoints agree on (0 if none), after the purge-interval rule."""
        on_source, on_target = self.source.get_local(rep_id), self.target.get_local(rep_id)
        if not on_source or not on_target:
            return 0, on_source, on_target
        target_sessions = {entry.get("session_id"): entry for entry in on_target.get("history", [])}
        for entry in on_source.get("history", []):
            if entry.get("session_id") in target_sessions:
                check_last_replication(entry.get("time"), purge_days, self.now())
                return entry.get("last_seq", 0), on_source, on_target
        return 0, on_source, on_target

    def _checkpoint(self, rep_id: str, seq: object, docs: dict[str, dict | None]) -> None:
        entry = {"session_id": self.session_id, "last_seq": seq,
                 "time": self.now().isoformat(timespec="seconds").replace("+00:00", "Z")}
        self.target.ensure_full_commit()
        for side, peer in (("source", self.source), ("target", self.target)):
            current = docs[side] or {}
            history = [e for e in current.get("history", []) if e.get("session_id") != self.session_id]
            doc = {"replicator": "domus", "session_id": self.session_id, "last_seq": seq,
                   "history": [entry, *history][:CHECKPOINT_HISTORY]}
            if current.get("_rev"):
                doc["_rev"] = current["_rev"]
            try:
                rev = peer.put_local(rep_id, doc)
            except PeerError as error:
                if error.status != 409:
                    raise
                doc["_rev"] = (peer.get_local(rep_id) or {}).get("_rev")
                rev = peer.put_local(rep_id, doc)
            docs[side] = {**doc, "_rev": rev}

    # -- the loop ---------------------------------------------------------------
    def run(self) -> Report:
        """Replicate until caught up (or, when continuous, until ``stop()``).

        Reading runs ahead of writing (``READ_AHEAD`` pages), in its own thread
        with its own connections: while the target stores one page, the source
        already serves the next.  The checkpoint follows the writes, never the
        reads, every ``CHECKPOINT_SECONDS`` and whenever the run has caught up.
        """
        report = Report(str(self.source), str(self.target))
        source_info, target_info = self._prepare()
        purge_days = min(_domus(info).get("purgeIntervalDays", 10**6) for info in (source_info, target_info))
        rep_id = self.replication_id()
        since, on_source, on_target = self._start_seq(rep_id, purge_days)
        checkpoints = {"source": on_source, "target": on_target}
        update_seq = source_info.get("update_seq")
        total = update_seq - since if isinstance(update_seq, int) and isinstance(since, int) else None
        report.last_seq = since
        done, checkpointed = 0, time.monotonic()
        pages: queue.Queue = queue.Queue(READ_AHEAD)
        halt = threading.Event()
        reader = _Reader(self.source.twin(), self.target.twin(), self.batch_size)
        thread = threading.Thread(target=self._read_ahead, args=(reader, since, pages, halt),
                                  name="replication-read", daemon=True)
        thread.start()
        try:
            while (page := pages.get()) is not None:
                if isinstance(page, Exception):
                    raise page
                rows, docs, seq, caught_up = page
                if rows:
                    self._write(rows, docs, report)
                    done += len(rows)
                    self.progress(done, total)
                due = caught_up or time.monotonic() - checkpointed >= CHECKPOINT_SECONDS
                if seq != report.last_seq and due:
                    self._checkpoint(rep_id, seq, checkpoints)
                    report.last_seq, checkpointed = seq, time.monotonic()
        finally:
            halt.set()
            thread.join()
        report.ended = utc_now()
        return report

    def _read_ahead(self, reader: _Reader, since: object, pages: queue.Queue, halt: threading.Event) -> None:
        """Fill ``pages`` with ``(rows, docs, last_seq, caught_up)``; then None, or the error.

        Hidden documents are left out of a feed page, so only a page that did
        not advance the sequence says the source has nothing more.
        """
        longpoll_ms = 0
        last: Exception | None = None
        try:
            while not (self.stopped.is_set() or halt.is_set()):
                rows, docs, seq = reader.read(since, longpoll_ms)
                moved = seq not in (None, since)
                since = seq if moved else since
                _hand(pages, halt, (rows, docs, since, not moved or len(rows) < self.batch_size))
                if not (moved or self.continuous):
                    break
                longpoll_ms = 0 if moved else self.longpoll_ms
        except Exception as error:  # noqa: BLE001 - handed to the writing thread, which raises it
            last = error
        _hand(pages, halt, last)

    def _write(self, rows: list[dict], docs: list[dict], report: Report) -> None:
        report.docs_read += len(docs)
        if self.selection is not None:
            chosen = [doc for doc in docs if self.selection.accepts(doc)]
            report.docs_filtered += len(docs) - len(chosen)
            docs = chosen
        errors = self.target.bulk_docs(docs)
        refused = {error.get("id") for error in errors}
        conflicted = {row["id"] for row in rows if len(row.get("changes", [])) > 1}
        report.conflicts += len({doc["_id"] for doc in docs} & conflicted - refused)
        report.failures += len(errors)
        report.docs_written += len(docs) - len(errors)
        report.errors += [f"{e.get('id')}: {e.get('error')}: {e.get('reason')}" for e in errors][:50]


class _Reader:
    """The reading half of a run: a page of changes and the revisions the target lacks."""

    def __init__(self, source: Peer, target: Peer, batch_size: int) -> None:
        self.source, self.target, self.batch_size = source, target, batch_size

    def read(self, since: object, longpoll_ms: int) -> tuple[list[dict], list[dict], object]:
        feed = self.source.changes(since, self.batch_size, longpoll_ms)
        rows = feed.get("results", [])
        wanted = {row["id"]: [change["rev"] for change in row.get("changes", [])] for row in rows}
        missing = self.target.revs_diff(wanted)
        requests = [
            {"id": unid, "rev": rev, "atts_since": entry.get("possible_ancestors", [])}
            for unid, entry in missing.items()
            for rev in entry.get("missing", [])
        ]
        return rows, self.source.bulk_get(requests), feed.get("last_seq")


def _hand(pages: queue.Queue, halt: threading.Event, item: object) -> None:
    """Put ``item`` in ``pages`` once there is room, unless the writer has stopped taking them."""
    while not halt.is_set():
        try:
            pages.put(item, timeout=0.5)
            return
        except queue.Full:
            continue
