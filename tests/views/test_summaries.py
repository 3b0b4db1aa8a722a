"""The summary log: the worker copies each change's state into chunks, and builds read them."""
from __future__ import annotations

import pytest

from core.root import server_root
from core.storage import connection_scope
from core.worker import Worker
from views import catalog, summaries
from views.index import state_of

MEMOS = "/api/databases/documents/documents"


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(summaries, "CHUNK", 4)


def _memo(api, subject: str, dept: str = "Управление ЖКХ") -> str:
    body = {"Form": "Memo", "Subject": subject, "Dept": dept, "Author": "Иванова А. С.",
            "Pages": 2, "RegDate": "2026-11-20"}
    return api.post_json(MEMOS, body).json["@unid"]


def _run_worker(app) -> None:
    worker = Worker(app.registry.zodb, app.registry.pm, app.registry.settings)
    try:
        worker.run_once()
    finally:
        worker.stop()


def test_the_worker_summarises_complete_chunks_and_a_build_reads_them(app, api):
    unids = [_memo(api, f"Служебная записка {n}") for n in range(11)]  # with the edit, 12 changes
    edited = api.get(f"{MEMOS}/{unids[1]}").json
    api.put_json(f"{MEMOS}/{unids[1]}", {**{k: v for k, v in edited.items() if not k.startswith("@")},
                                         "Subject": "Исправленная записка"},
                 headers={"If-Match": edited["@rev"]})
    _run_worker(app)
    with connection_scope(app.registry.zodb) as (tm, connection):
        tm.begin()
        database = server_root(connection).get_database("documents")
        log = catalog.catalog_of(database).summaries
        last = database.last_seq()
        assert log.through == (last + 1) // summaries.CHUNK * summaries.CHUNK - 1  # chunks end at 4k-1
        assert log.through > 0
        for seq, unid in database.feed_after(0):
            state = log.state(seq)
            if seq <= log.through:
                assert state == state_of(database.documents[unid]), seq
            else:
                assert state is None
        # A rebuild over log and documents gives the rows every save gave.
        ready = list(catalog.catalog_of(database).indexes["MemosByDept"].entries.items())
        catalog.rebuild(database, "MemosByDept")
        assert list(catalog.catalog_of(database).indexes["MemosByDept"].entries.items()) == ready
        assert any(row[1][1] == "Исправленная записка" for _, row in ready if isinstance(row[1], tuple))
        tm.abort()  # the rebuild was only to compare
