"""One writer at a time inside a process.

Every document write bumps its database's feed counter, so two concurrent
writers in one process would conflict and one would redo its whole request.
Taking a process-wide lock around writing requests (outside pyramid_tm, so the
commit happens under it) turns those conflicts into a short queue.  Writers in
other processes sharing a ZEO storage still conflict, and pyramid_retry runs
the loser again after a short random pause.
"""
from __future__ import annotations

import random
import threading
import time

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def write_lock_tween_factory(handler, registry):
    if not registry.settings["domus.write_lock"]:
        return handler
    lock = threading.Lock()

    def write_lock_tween(request):
        if request.method in SAFE_METHODS:
            return handler(request)
        with lock:
            return handler(request)

    return write_lock_tween


def back_off_before_retry(event) -> None:
    """Sleep a random, growing moment before a conflicted request runs again.

    Two servers that conflicted would otherwise retry in lock step and
    conflict again; jitter lets one of them finish first.
    """
    attempt = event.environ.get("retry.attempt", 0)
    time.sleep(random.uniform(0, min(0.25, 0.004 * 2**attempt)))
