"""Slots for requests that wait (longpoll changes feeds), so that waiting never starves the server.

Waitress serves every request on one of a fixed number of threads, and a
longpoll holds its thread for as long as it waits (up to
``domus.longpoll_max_seconds``).  Left alone, a handful of longpolls take every
thread and ordinary requests queue behind them.  So a request takes a *slot*
before it waits: at most ``domus.max_waiting_requests`` wait at once on the
server, and at most ``domus.max_waiting_per_user`` of them are one principal's.
``domus serve`` starts waitress with ``--threads`` ordinary threads *plus* one
per slot (an ini for pserve sets ``threads`` to that sum), so the ordinary
threads stay free whatever the waiting requests do.

A request that finds no slot free does not wait: it is answered at once with
429 ``too_many_waiting`` and a ``Retry-After``; CouchDB replicators (ours,
PouchDB with ``retry``) back off and ask again, rather than spinning on an
empty answer.
"""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from core.exceptions import TooManyWaiting

RETRY_AFTER_SECONDS = 5
ANONYMOUS = "\x00anonymous"  # no principal's name: not a name a user can take


class WaitingSlots:
    """The server's slots for waiting requests: a total and a share per principal."""

    def __init__(self, total: int, per_user: int) -> None:
        self.total = total
        self.per_user = per_user
        self._lock = threading.Lock()
        self._held: dict[str, int] = {}

    def held(self) -> int:
        """How many requests wait in a slot now."""
        with self._lock:
            return sum(self._held.values())

    @contextlib.contextmanager
    def hold(self, principal) -> Iterator[None]:
        """One slot for ``principal`` (None: anonymous) while the block runs, or TooManyWaiting."""
        who = principal.name if principal is not None else ANONYMOUS
        with self._lock:
            mine = self._held.get(who, 0)
            if mine >= self.per_user:
                raise TooManyWaiting(
                    f"you already have {mine} requests waiting for changes (at most "
                    f"{self.per_user}, domus.max_waiting_per_user); ask again later",
                    retry_after=RETRY_AFTER_SECONDS)
            if sum(self._held.values()) >= self.total:
                raise TooManyWaiting(
                    f"the server already has {self.total} requests waiting for changes "
                    "(domus.max_waiting_requests); ask again later",
                    retry_after=RETRY_AFTER_SECONDS)
            self._held[who] = mine + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._held[who] - 1
                if left:
                    self._held[who] = left
                else:
                    del self._held[who]


def waiting_slots(settings) -> WaitingSlots:
    """The slots the settings allow (one object per application)."""
    return WaitingSlots(settings["domus.max_waiting_requests"], settings["domus.max_waiting_per_user"])
