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
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from core.writes import utc_now
from replication.couch import CREATED, META_FIELDS, MODIFIED, PARENT
from replication.peers import Peer, PeerError
from replication.rules import check_last_replication, check_replica_ids
from views.formula import Environment, EvaluationError, compile_formula

log = logging.getLogger(__name__)

CHECKPOINT_HISTORY = 5
LONGPOLL_MS = 10000


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
        batch_size: int = 500,
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
        for side, peer in (("source", self.source), ("target", self.target)):
            current = docs[side] or {}
            history = [e for e in current.get("history", []) if e.get("session_id") != self.session_id]
            doc = {"replicator": "domus", "session_id": self.session_id, "last_seq": seq,
                   "history": [entry, *history][:CHECKPOINT_HISTORY]}
            if current.get("_rev"):
                doc["_rev"] = current["_rev"]
            try:
                peer.put_local(rep_id, doc)
            except PeerError as error:
                if error.status != 409:
                    raise
                fresh = peer.get_local(rep_id) or {}
                doc["_rev"] = fresh.get("_rev")
                peer.put_local(rep_id, doc)
            docs[side] = peer.get_local(rep_id)

    # -- the loop ---------------------------------------------------------------
    def run(self) -> Report:
        """Replicate until caught up (or, when continuous, until ``stop()``).

        Reading runs one batch ahead of writing, in its own thread with its own
        connections: while the target stores batch N, the source already
        serves batch N+1.  The checkpoint follows the writes, never the reads.
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
        done = 0
        reader = _Reader(self.source.twin(), self.target.twin(), self.batch_size)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="replication-read") as pool:
            ahead: Future | None = pool.submit(reader.read, since, 0)
            while ahead is not None:
                rows, docs, last_seq = ahead.result()
                # Hidden documents are left out of a feed page, so only a page that did not
                # advance the sequence says the source has nothing more.
                moved = last_seq not in (None, since)
                since = last_seq if moved else since
                ahead = None
                if not self.stopped.is_set() and (moved or self.continuous):
                    ahead = pool.submit(reader.read, since, 0 if moved else self.longpoll_ms)
                if rows:
                    self._write(rows, docs, report)
                    done += len(rows)
                    self.progress(done, total)
                if moved:
                    self.target.ensure_full_commit()
                    self._checkpoint(rep_id, since, checkpoints)
                    report.last_seq = since
        report.ended = utc_now()
        return report

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
