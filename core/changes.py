"""Waking readers of the changes feed when a write commits.

Registered as a plugin on the application's manager: its ``after_commit``
wakes every longpoll request waiting on that database.  Writes made by other
servers (ZEO) wake no one here, so waiters also re-check at a short interval.
"""
from __future__ import annotations

import threading

from core.plugins import hookimpl


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
