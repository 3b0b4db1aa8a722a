"""The audit log: who logged in, failed, was locked out, made or revoked a token, changed an ACL.

Events are JSON lines appended to one file in the data folder (a setting
moves it), flushed as they are written: authentication happens on reading
requests too, and a file append is cheap and never conflicts with document
writes.  An event never carries a password, a token or a session cookie —
only names, addresses and what happened.  Managers of the Directory read the
log through ``GET /api/audit``; operators can ship the file anywhere.
"""
from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from core.writes import utc_now

EVENTS = (
    "login.succeeded", "login.failed", "login.throttled", "login.locked",
    "logout", "session.rejected", "session.revoked", "token.created", "token.revoked",
    "token.rejected",
    "acl.changed", "replication.refused",
)


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def record(self, event: str, user: str | None, address: str | None, **details: object) -> None:
        if event not in EVENTS:
            raise ValueError(f"unknown audit event {event!r}")
        line = json.dumps(
            {"time": utc_now(), "event": event, "user": user, "address": address, **details},
            ensure_ascii=False, sort_keys=True,
        )
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")

    def record_when_committed(self, transaction, event: str, user: str | None,
                              address: str | None, **details: object) -> None:
        """Record an event about a change only if the change's transaction commits."""
        transaction.addAfterCommitHook(
            lambda committed: committed and self.record(event, user, address, **details)
        )

    def _lines_backwards(self, chunk: int = 65536) -> Iterator[str]:
        """Lines from the end of the file, newest first, without reading it whole."""
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return
        with handle:
            position = handle.seek(0, os.SEEK_END)
            rest = b""
            while position > 0:
                step = min(chunk, position)
                position -= step
                handle.seek(position)
                block = handle.read(step) + rest
                lines = block.split(b"\n")
                rest = lines.pop(0)
                for line in reversed(lines):
                    if line.strip():
                        yield line.decode("utf-8", "replace")
            if rest.strip():
                yield rest.decode("utf-8", "replace")

    def newest(self, limit: int, event: str | None = None, user: str | None = None) -> list[dict]:
        """Up to ``limit`` events, newest first, optionally of one kind or one user."""
        out: list[dict] = []
        for line in self._lines_backwards():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if event and entry.get("event") != event:
                continue
            if user and entry.get("user") != user:
                continue
            out.append(entry)
            if len(out) >= limit:
                break
        return out
