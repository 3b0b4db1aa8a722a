"""Group commit: writing requests share one transaction and one fsync.

Every document write bumps its database's feed counter, so two writers in one
process can never commit side by side without one of them conflicting and
starting over.  Writers therefore take turns; and since the turn of each
would end in a disk flush (fsync) that dwarfs the Python work, the writers
that queue up while one runs join its transaction instead of waiting for it:

- a writing request runs its view inside the shared transaction; if the view
  fails before it changed anything (the usual case: bad input, a stale
  revision, a refused validation) only that request answers with its error;
  if it fails after it began writing, the group is aborted and its other
  requests run again (see ``GroupCommitter._undo``);
- when its view is done and other writers are waiting, it hands them the turn
  and waits; the last writer of the group (no one waiting) commits for all;
- every request of the group answers only after that commit succeeded, so an
  acknowledged write is on disk; if the commit fails, every request of the
  group fails with it, and a write conflict (another server, through ZEO)
  sends each one back to pyramid_retry to run again.

Reading requests keep their own connection and transaction (pyramid_tm) and
never wait here.
"""
from __future__ import annotations

import contextlib
import random
import sys
import threading
import time
from collections.abc import Callable

import transaction
from pyramid.httpexceptions import HTTPException
from transaction.interfaces import NoTransaction, TransientError

from core.exceptions import DomusError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class GroupAborted(TransientError):
    """Another request of the same group failed midway; this one runs again."""


def is_reading(request) -> bool:
    """pyramid_tm's activation hook: it manages the transactions of reading requests only.

    Besides GET and HEAD, a POST that a plugin declared read-only (``config.add_reading_post``)
    reads: a question too long for a URL (CouchDB's ``_revs_diff``, ``_bulk_get``) must not wait
    for the writers' turn and the next commit to be answered.
    """
    if request.method in SAFE_METHODS:
        return True
    return request.method == "POST" and any(
        asks(request) for asks in getattr(request.registry, "reading_posts", ()))


def reads_never_commit(request, response) -> bool:
    """pyramid_tm's commit veto: a reading request's transaction is always aborted.

    A read may change objects in memory to answer (a view applies the journal entries the
    worker has not applied yet, ``views.journal``); committing that would make every reader a
    writer, conflicting with the worker and with each other.
    """
    return True


def add_reading_post(config, predicate: Callable[[object], bool]) -> None:
    """Configurator directive: POSTs for which ``predicate(request)`` is true only read."""
    registry = config.registry
    registry.reading_posts = (*getattr(registry, "reading_posts", ()), predicate)


class _Group:
    """The requests whose writes one commit will carry."""

    def __init__(self) -> None:
        self.size = 0
        self.done = threading.Event()
        self.exc_info: tuple | None = None


class GroupCommitter:
    """One per application: the shared writing connection and the turn-taking."""

    def __init__(self, db, max_group: int) -> None:
        self.db = db
        self.max_group = max_group
        self.tm = transaction.TransactionManager(explicit=True)
        self._connection = None
        self._turn = threading.Lock()
        self._state = threading.Lock()
        self._waiting = 0
        self._group: _Group | None = None

    @property
    def connection(self):
        """The shared writing connection (opened on first use, kept for the app's life)."""
        if self._connection is None:
            self._connection = self.db.open(transaction_manager=self.tm)
        return self._connection

    def handle(self, request, handler):
        """Run a writing request in the current group and answer once its group committed."""
        with self._state:
            self._waiting += 1
        self._turn.acquire()
        try:
            with self._state:
                self._waiting -= 1
            group = self._join()
            try:
                response, joined = self._run_view(request, handler, group)
            except BaseException:
                self._close_turn(group)
                raise
            if joined:
                group.size += 1
            self._close_turn(group)
        finally:
            self._turn.release()
        if not joined:
            return response
        group.done.wait()
        if group.exc_info is not None:
            return request.invoke_exception_view(group.exc_info)
        return response

    def _join(self) -> _Group:
        if self._group is None:
            self.tm.begin()
            self._group = _Group()
        return self._group

    def _run_view(self, request, handler, group: _Group):
        """The view's response and whether its writes stay in the group."""
        try:
            response = handler(request)
        except BaseException:
            self._undo(request, group, sys.exc_info()[1])
            raise
        failure = getattr(request, "exception", None)
        if failure is not None or self.tm.isDoomed():
            self._undo(request, group, failure)
            return response, False
        return response, True

    def _undo(self, request, group: _Group, failure: BaseException | None) -> None:
        """Take a failed request's writes out of the transaction.

        Most failures (bad input, a stale revision, a refused login, an
        unknown route, a validation error) happen before anything changed,
        and leave the group alone.  A request that failed after it began
        writing, or in an unexpected way, cannot be cut out of a shared
        transaction (savepoints would make every write pay for that rare
        case): the group is aborted and its other requests are sent back to
        pyramid_retry to run again.
        """
        writer = request.__dict__.get("writer")
        if writer is not None:
            writer.discard_pending()
        clean = (
            isinstance(failure, (DomusError, HTTPException))
            and not (writer is not None and writer.touched)
            and not self.tm.isDoomed()
        )
        if clean:
            return
        self._group = None
        self._abort()
        if group.size:
            group.exc_info = (GroupAborted, GroupAborted(), None)
            group.done.set()

    def _close_turn(self, group: _Group) -> None:
        """Commit (or drop an empty group) unless another writer will continue it."""
        if group.done.is_set():
            return
        with self._state:
            others = self._waiting
        if others and group.size < self.max_group:
            return
        self._group = None
        if group.size == 0:
            self._abort()
            group.done.set()
            return
        try:
            self.tm.commit()
        except BaseException:  # every member must hear of it, not only this thread
            group.exc_info = sys.exc_info()
            self._abort()
            if not isinstance(group.exc_info[1], Exception):
                raise
        finally:
            group.done.set()

    def _abort(self) -> None:
        with contextlib.suppress(NoTransaction):
            self.tm.abort()

    def close(self) -> None:
        with self._turn:
            self._abort()
            if self._connection is not None:
                self._connection.close()
                self._connection = None


class RequestTraffic:
    """Requests being answered, and when the last one was: the worker's cue (``core.worker``).

    A request that holds a waiting slot (a longpoll, ``core.waiting``) only waits, so it
    does not count: an open changes feed must not hold the worker back.
    """

    def __init__(self, waiting) -> None:
        self.waiting = waiting
        self._lock = threading.Lock()
        self._inside = 0
        self._last_left = 0.0  # time.monotonic() when the last request answered

    def enter(self) -> None:
        with self._lock:
            self._inside += 1

    def leave(self) -> None:
        with self._lock:
            self._inside -= 1
            self._last_left = time.monotonic()

    def quiet_for(self) -> float:
        """Seconds since the last request answered; 0.0 while one is being answered."""
        waiting = self.waiting.held()
        with self._lock:
            return 0.0 if self._inside > waiting else time.monotonic() - self._last_left


def group_commit_tween_factory(handler, registry):
    committer: GroupCommitter = registry.committer
    traffic: RequestTraffic = registry.traffic

    def group_commit_tween(request):
        traffic.enter()
        try:
            if is_reading(request):
                return handler(request)
            return committer.handle(request, handler)
        finally:
            traffic.leave()

    return group_commit_tween


def back_off_before_retry(event) -> None:
    """Sleep a random, growing moment before a conflicted request runs again.

    Two servers that conflicted would otherwise retry in lock step and
    conflict again; jitter lets one of them finish first.  The wait grows to
    half a second: on a busy machine a server whose writers commit back to
    back could otherwise starve the other's request through all its attempts.
    """
    attempt = event.environ.get("retry.attempt", 0)
    time.sleep(random.uniform(0, min(0.5, 0.004 * 2**attempt)))
