"""Slowing down and locking out password guessing, counted per name and address together.

Following OWASP's advice, a lock must never let a stranger keep the rightful
user out, so three counts are kept:

- **name + address** (the pair): the first few failures cost nothing; after
  that each new attempt of that pair must wait twice as long as the one
  before (up to a minute), and after ``lock_failures`` failures the pair is
  locked for ``lock_seconds``, even for the right password.  Another address
  trying the same name is not touched.
- **address**, over every name it tries: the same rules with far higher
  limits (a whole district office may sit behind one address), so an address
  spraying many names is slowed and then locked.
- **name**, over every address: never locked, never refused; once many
  failures arrived from anywhere, each check of that name is *delayed* by a
  few seconds at most, so a botnet guesses slowly while the administrator at
  their own desk still gets in.

While a pair or an address must wait, the password is not even checked, so
a locked pair cannot be guessed faster by asking more often.

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
    """After ``free_failures`` each attempt waits 1 s, 2 s, 4 s … up to ``max_delay_seconds``;
    ``lock_failures`` (None: never) locks for ``lock_seconds``, which is also how long a quiet
    key keeps its count."""

    free_failures: int = 3
    lock_failures: int | None = 10
    lock_seconds: float = 900.0
    max_delay_seconds: float = 60.0


class LoginThrottle:
    """Remembers recent failures by key: ``pair:NAME@IP``, ``address:IP`` and ``account:NAME``."""

    def __init__(self, pair: Limits, address: Limits, account: Limits, max_keys: int = 100_000,
                 clock=time.monotonic) -> None:
        self.limits = {"pair": pair, "address": address, "account": account}
        self.max_keys = max_keys
        self.clock = clock
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(account: str, address: str | None) -> list[tuple[str, str]]:
        """The keys a login attempt counts under; the account key comes last."""
        name = account.strip().casefold()
        keys = [("pair", f"pair:{name}@{address or ''}")]
        if address:
            keys.append(("address", f"address:{address}"))
        return [*keys, ("account", f"account:{name}")]

    def wait_seconds(self, account: str, address: str | None) -> float:
        """How long this name from this address must wait before it is looked at (0: go ahead)."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for kind, key in self._keys(account, address)[:-1]:
                record = self._records.get(key)
                if record is not None:
                    wait = max(wait, record.locked_until - now,
                               self._delay(kind, record) - (now - record.last))
        return max(wait, 0.0)

    def slowdown_seconds(self, account: str) -> float:
        """How long a check of ``account`` is delayed because it fails from many addresses."""
        with self._lock:
            record = self._records.get(self._keys(account, None)[-1][1])
            return self._delay("account", record) if record is not None else 0.0

    def _delay(self, kind: str, record: _Record) -> float:
        limits = self.limits[kind]
        over = record.failures - limits.free_failures
        return 0.0 if over <= 0 else min(2.0 ** (over - 1), limits.max_delay_seconds)

    def failed(self, account: str, address: str | None) -> bool:
        """Count a failure; True when it locked the pair or the address."""
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
                if (limits.lock_failures is not None and record.failures >= limits.lock_failures
                        and record.locked_until <= now):
                    record.locked_until = now + limits.lock_seconds
                    record.failures = 0
                    locked = True
        return locked

    def succeeded(self, account: str, address: str | None) -> None:
        """A correct password clears its pair's count (the address and the name keep theirs)."""
        with self._lock:
            self._records.pop(self._keys(account, address)[0][1], None)

    def _forget_quiet(self, now: float) -> None:
        horizon = max(limits.lock_seconds for limits in self.limits.values())
        self._records = {
            key: record for key, record in self._records.items()
            if record.locked_until > now or now - record.last < horizon
        }
        if len(self._records) >= self.max_keys:
            self._records.clear()
