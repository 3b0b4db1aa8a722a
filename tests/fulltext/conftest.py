"""Fixtures of the full-text tests: the indexer run to the end, as the worker would."""
from __future__ import annotations

import contextlib

import pytest

from core.worker import Worker
from views.fulltext.helper import HelperFailed

SEARCH = "/api/databases/documents/search"


class Indexer:
    """The server's worker, run round by round in the test's thread: deterministic, and real."""

    def __init__(self, app) -> None:
        self.worker = Worker(app.registry.zodb, app.registry.pm, app.registry.settings)

    def __call__(self) -> None:
        for _ in range(100):
            if not self.worker.run_once() and not self._settle():
                return
        raise AssertionError("the indexer never caught up")

    def _settle(self) -> bool:
        """Wait for the batch a helper process is applying, if any (True); a failed one is then
        handed over again by the next round, as in the server."""
        helpers = [consumer.helper for consumer in self.worker.consumers
                   if getattr(consumer, "helper", None) is not None and consumer.helper.busy]
        for helper in helpers:
            with contextlib.suppress(HelperFailed):
                helper.idle(timeout=60)
        return bool(helpers)

    def close(self) -> None:
        self.worker.stop()


@pytest.fixture
def index_now(app):
    indexer = Indexer(app)
    yield indexer
    indexer.close()


def search(client, q: str, status: int = 200, **params):
    return client.get(SEARCH, params={"q": q, **params}, status=status).json
