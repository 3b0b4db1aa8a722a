"""The server's background worker: changes consumers and scheduled tasks.

One thread per server process, with its own ZODB connection and transaction
manager.  Each round gives every consumer the changes after its checkpoint
(stored in the database, committed in the same transaction as the consumer's
own ZODB work), then runs the scheduled tasks that are due.  A commit through
this server wakes the worker at once; writes from other servers are seen at
the next poll.  ``stop()`` lets the current round finish, joins the thread and
closes the consumers that hold something (``IClosingConsumer``: a helper process).

While requests keep coming, a round waits for them to pause (``SETTLE_SECONDS`` without
one): on two cores a round takes the GIL and the disk (a commit and an fsync per
consumer) from the requests, and a round after every create cost more than the create
itself (issue 15).  Waiting lets one round carry the saves of many requests.  It waits at
most ``domus.worker_poll_seconds``, or, with a backlog (a consumer's batch was full), at
most as long as its last round took: the worker then keeps at least half of the time
and cannot fall behind without bound.  Views stay exact meanwhile (a read applies what
waits, ``views.journal``); full text trails by at most that wait, as it does by a poll
interval for writes made through another server.
"""
from __future__ import annotations

import logging
import threading
import time

import transaction
from BTrees.OOBTree import OOBTree
from ZODB.POSException import ConflictError

from core.interfaces import IClosingConsumer
from core.plugins import hookimpl
from core.root import server_root

log = logging.getLogger(__name__)
CHECKPOINTS = "checkpoints"
SETTLE_SECONDS = 0.02  # a pause of requests this long lets a round start


def checkpoints(database) -> OOBTree:
    """Consumer name -> last processed sequence, kept in the database itself."""
    table = database.annotations.get(CHECKPOINTS)
    if table is None:
        table = database.annotations[CHECKPOINTS] = OOBTree()
    return table


def resume_from(database, name: str, seq: int) -> None:
    """Set consumer ``name``'s checkpoint to ``seq``: for a consumer whose own state (an index on
    disk, a journal's mark) says where it stands, so the worker feeds it from there."""
    table = checkpoints(database)
    if table.get(name, 0) != seq:
        table[name] = seq


class Worker:
    def __init__(self, db, pm, settings, requests_quiet_for=None) -> None:
        self.db = db
        # Seconds since the last request answered (``RequestTraffic.quiet_for``); None:
        # rounds never wait for requests (tests that drive ``run_once`` themselves).
        self.requests_quiet_for = requests_quiet_for
        self.consumers = [c for batch in pm.hook.register_changes_consumers(settings=settings)
                          for c in batch or ()]
        self.tasks = [t for batch in pm.hook.register_scheduled_tasks(settings=settings)
                      for t in batch or ()]
        self.poll_seconds = settings["domus.worker_poll_seconds"]
        self._next_run = {task.name: 0.0 for task in self.tasks}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._tm = transaction.TransactionManager(explicit=True)
        self._connection = None
        self._behind = False  # the last round filled a consumer's batch: more is waiting

    @hookimpl
    def after_commit(self, database_name, changes):
        self._wake.set()

    # -- life cycle --------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="domus-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        for consumer in self.consumers:
            if IClosingConsumer.providedBy(consumer):
                try:
                    consumer.close()
                except Exception:
                    log.exception("changes consumer %s failed to close", consumer.name)
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _loop(self) -> None:
        last_round = 0.0
        while not self._stop.is_set():
            self._let_requests_pause(last_round if self._behind else self.poll_seconds)
            started = time.monotonic()
            try:
                busy = self.run_once()
            except Exception:
                log.exception("worker round failed")
                busy = False
            last_round = time.monotonic() - started
            if not busy:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    def _let_requests_pause(self, at_most: float) -> None:
        """Wait until requests pause for ``SETTLE_SECONDS``, at most ``at_most`` seconds."""
        if self.requests_quiet_for is None:
            return
        deadline = time.monotonic() + at_most
        while not self._stop.is_set() and time.monotonic() < deadline:
            quiet = self.requests_quiet_for()
            if quiet >= SETTLE_SECONDS:
                return
            self._stop.wait(SETTLE_SECONDS - quiet)

    # -- one round -----------------------------------------------------------
    def run_once(self, now: float | None = None) -> bool:
        """Feed every consumer one batch and run due tasks; True if anything was done."""
        if self._connection is None:
            self._connection = self.db.open(transaction_manager=self._tm)
        busy = False
        self._behind = False
        for consumer in self.consumers:
            busy |= self._feed(consumer)
        now = time.time() if now is None else now
        for task in self.tasks:
            if now >= self._next_run[task.name]:
                self._next_run[task.name] = now + task.interval_seconds
                self._run_task(task, now)
                busy = True
        return busy

    def _feed(self, consumer) -> bool:
        busy = False
        self._tm.begin()
        try:
            root = server_root(self._connection)
            names = list(root.databases.keys())
        finally:
            self._tm.abort()
        for name in names:
            if self._stop.is_set():
                break
            self._tm.begin()
            try:
                database = server_root(self._connection).databases.get(name)
                if database is None or not consumer.wants(database):
                    self._tm.abort()
                    continue
                table = checkpoints(database)
                since = table.get(consumer.name, 0)
                changes = database.changes_since(since, consumer.batch_size)
                if not changes:
                    self._tm.abort()
                    continue
                consumer.process(database, changes)
                table[consumer.name] = changes[-1].seq
                self._tm.commit()
                busy = True
                self._behind |= len(changes) >= consumer.batch_size
            except ConflictError:
                # Another server's worker did the same work first (ZEO): nothing is lost, the
                # next round starts from what it committed.
                self._tm.abort()
                log.info("changes consumer %s conflicted on %s; it runs again", consumer.name, name)
                busy = True
            except Exception:
                self._tm.abort()
                log.exception("changes consumer %s failed on %s; it will retry", consumer.name, name)
        return busy

    def _run_task(self, task, now: float) -> None:
        self._tm.begin()
        try:
            task.run(server_root(self._connection), now)
            self._tm.commit()
        except Exception:
            self._tm.abort()
            log.exception("scheduled task %s failed; it runs again at its next time", task.name)
