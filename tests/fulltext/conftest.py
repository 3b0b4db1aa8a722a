"""Fixtures of the full-text tests: the indexer run to the end, as the worker would."""
from __future__ import annotations

import pytest

from core.worker import Worker

SEARCH = "/api/databases/documents/search"


class Indexer:
    """The server's worker, run round by round in the test's thread: deterministic, and real."""

    def __init__(self, app) -> None:
        self.worker = Worker(app.registry.zodb, app.registry.pm, app.registry.settings)

    def __call__(self) -> None:
        for _ in range(100):
            if not self.worker.run_once():
                return
        raise AssertionError("the indexer never caught up")

    def close(self) -> None:
        self.worker.stop()


@pytest.fixture
def index_now(app):
    indexer = Indexer(app)
    yield indexer
    indexer.close()


def search(client, q: str, status: int = 200, **params):
    return client.get(SEARCH, params={"q": q, **params}, status=status).json
