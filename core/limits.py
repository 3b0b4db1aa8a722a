"""Limits on what one request may make the server hold: counts and bytes, as settings.

A request body is bounded by ``domus.max_json_bytes``, but a small body may
still ask for a large answer (ten thousand entries, the same file three
hundred times).  Each door that answers in proportion to what it is asked
counts the entries before it works and weighs its answer before it builds
it; over a limit the client gets 413 with the limit and the setting's name,
so an operator knows what to raise and a replicator asks in smaller batches.
"""
from __future__ import annotations

from collections.abc import Mapping

from core.exceptions import PayloadTooLarge


def check_count(settings: Mapping[str, object], setting: str, count: int, what: str) -> None:
    """Refuse a request that names more than ``settings[setting]`` ``what`` (413)."""
    limit = settings[setting]
    if count > limit:
        raise PayloadTooLarge(f"at most {limit:,} {what} per request, got {count:,} "
                              f"(setting {setting}); send them in smaller batches")


class Budget:
    """The bytes an answer may hold, paid for before each part of it is built."""

    def __init__(self, settings: Mapping[str, object], setting: str, what: str) -> None:
        self.setting, self.what = setting, what
        self.limit: int = settings[setting]
        self.spent = 0

    def charge(self, size: int) -> None:
        """Pay ``size`` bytes; refuse the whole answer (413) once they go over the limit."""
        self.spent += size
        if self.spent > self.limit:
            raise PayloadTooLarge(f"{self.what} would hold more than {self.limit:,} bytes "
                                  f"(setting {self.setting}); ask for fewer documents at a time")
