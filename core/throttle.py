"""Slowing down and locking out password guessing, per account and per address.

The first few failures cost nothing; after that each new attempt must wait
twice as long as the one before (up to a minute), and after
``lock_failures`` failures the key is locked for ``lock_seconds``.  Accounts
and client addresses are counted separately: an address has a far higher
limit because a whole district office may sit behind one.  While a key must
wait, the password is not even checked, so a locked account cannot be
guessed faster by asking more often.

The counters live in the server process's memory: a failed login is never a
database write that an attacker could use to load the storage, and a restart
forgets them (each app server of a ZEO cluster counts on its own).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass
class _Record:
    failures: int = 0
    last: float = 0.0
    locked_until: float = 0.0


@dataclass(frozen=True)
class Limits:
    free_failures: int = 3
    lock_failures: int = 10
    lock_seconds: float = 900.0
    max_delay_seconds: float = 60.0


class LoginThrottle:
    """Remembers recent failures by key (``account:NAME`` or ``address:IP``)."""

    def __init__(self, account: Limits, address: Limits, max_keys: int = 100_000,
                 clock=time.monotonic) -> None:
        self.limits = {"account": account, "address": address}
        self.max_keys = max_keys
        self.clock = clock
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

    def _keys(self, account: str, address: str | None) -> list[tuple[str, str]]:
        keys = [("account", f"account:{account.strip().casefold()}")]
        if address:
            keys.append(("address", f"address:{address}"))
        return keys

    def wait_seconds(self, account: str, address: str | None) -> float:
        """How long the caller must wait before this attempt is looked at (0: go ahead)."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for kind, key in self._keys(account, address):
                record = self._records.get(key)
                if record is None:
                    continue
                wait = max(wait, record.locked_until - now, self._delay(kind, record) - (now - record.last))
        return max(wait, 0.0)

    def is_locked(self, account: str, address: str | None) -> bool:
        now = self.clock()
        with self._lock:
            return any(
                (record := self._records.get(key)) is not None and record.locked_until > now
                for _, key in self._keys(account, address)
            )

    def _delay(self, kind: str, record: _Record) -> float:
        limits = self.limits[kind]
        over = record.failures - limits.free_failures
        return 0.0 if over <= 0 else min(2.0 ** (over - 1), limits.max_delay_seconds)

    def failed(self, account: str, address: str | None) -> bool:
        """Count a failure; True when it locked the account or the address."""
        now = self.clock()
        locked = False
        with self._lock:
            if len(self._records) >= self.max_keys:
                self._forget_quiet(now)
            for kind, key in self._keys(account, address):
                record = self._records.setdefault(key, _Record())
                limits = self.limits[kind]
                if record.last and now - record.last > limits.lock_seconds:
                    record.failures = 0  # a long quiet spell starts the count afresh
                record.failures += 1
                record.last = now
                if record.failures >= limits.lock_failures and record.locked_until <= now:
                    record.locked_until = now + limits.lock_seconds
                    record.failures = 0
                    locked = True
        return locked

    def succeeded(self, account: str, address: str | None) -> None:
        """A correct password clears the account's count (the address keeps its own)."""
        with self._lock:
            self._records.pop(self._keys(account, None)[0][1], None)

    def _forget_quiet(self, now: float) -> None:
        horizon = max(limits.lock_seconds for limits in self.limits.values())
        self._records = {
            key: record for key, record in self._records.items()
            if record.locked_until > now or now - record.last < horizon
        }
        if len(self._records) >= self.max_keys:
            self._records.clear()
