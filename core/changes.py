"""Waking readers of the changes feed when a write commits.

Registered as a plugin on the application's manager: its ``after_commit``
wakes every longpoll request waiting on that database.  Writes made by other
servers (ZEO) wake no one here, so waiters also re-check at a short interval.
``longpoll`` is the waiting loop both changes feeds (the API's and the
replication endpoint's) answer with.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from core.plugins import hookimpl

RECHECK_SECONDS = 0.5
T = TypeVar("T")


class ChangeNotifier:
    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._generation: dict[str, int] = {}

    def generation(self, database_name: str) -> int:
        with self._condition:
            return self._generation.get(database_name, 0)

    def wait(self, database_name: str, seen: int, timeout: float) -> None:
        """Block until a commit to ``database_name`` after generation ``seen``, or ``timeout``."""
        with self._condition:
            self._condition.wait_for(
                lambda: self._generation.get(database_name, 0) != seen, timeout=timeout
            )

    @hookimpl
    def after_commit(self, database_name, changes):
        with self._condition:
            self._generation[database_name] = self._generation.get(database_name, 0) + 1
            self._condition.notify_all()


def longpoll(request, database_name: str, seconds: float, scan: Callable[[], tuple[T, bool]]) -> T:
    """The first answer of ``scan`` that found changes, or its last one after ``seconds``.

    ``scan`` reads the feed in the request's current transaction and says whether it found
    anything.  Only an empty first answer waits, and only in one of the server's waiting
    slots (``core.waiting``): with none free the request is answered 429 at once.  Between
    scans the transaction is begun anew, so that the next scan sees the commits it woke for.
    """
    notifier = request.registry.notifier
    seen = notifier.generation(database_name)
    answer, found = scan()
    if found or seconds <= 0:
        return answer
    deadline = time.monotonic() + seconds
    with request.registry.waiting.hold(request.identity):
        while (remaining := deadline - time.monotonic()) > 0:
            notifier.wait(database_name, seen, min(remaining, RECHECK_SECONDS))
            request.tm.abort()
            request.tm.begin()
            seen = notifier.generation(database_name)
            answer, found = scan()
            if found:
                break
    return answer
