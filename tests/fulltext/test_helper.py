"""The indexer's helper process: the index follows writes, at low priority, and survives being killed."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from zope.interface.verify import verifyObject

from core.interfaces import IClosingConsumer
from core.root import server_root
from core.settings import parse_settings
from tests.conftest import DOCS
from tests.fulltext.conftest import Indexer, search
from tests.fulltext.files import pdf_with_text
from views.fulltext.consumer import FullTextIndexer
from views.fulltext.helper import IndexHelper

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings(tmp_path, request) -> dict:
    """The suite's settings, with a test's own added (``parametrize(..., indirect=True)``)."""
    return {"zodbconn.uri": "memory://", "domus.var_dir": str(tmp_path / "var"),
            **getattr(request, "param", {})}


def _consumer(indexer: Indexer) -> FullTextIndexer:
    return next(c for c in indexer.worker.consumers if isinstance(c, FullTextIndexer))


def _save(api, subject: str) -> dict:
    return api.post_json(DOCS, {"Form": "Memo", "Subject": subject}).json


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def _wait_gone(pid: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _index_unids(app) -> list[str]:
    """Every UNID the serving generation holds, once per entry (duplicates show)."""
    generation = app.registry.fulltext.current("documents")
    with generation.index.searcher() as searcher:
        return [fields["unid"] for fields in searcher.all_stored_fields()]


def _live_unids(app) -> set[str]:
    """The documents of the database that are not deleted, read from it."""
    connection = app.registry.zodb.open()
    try:
        documents = server_root(connection).get_database("documents").documents
        return {unid for unid, document in documents.items() if not document.deleted}
    finally:
        connection.close()


def test_the_helper_process_is_the_default_and_a_closing_consumer(app, index_now):
    consumer = _consumer(index_now)
    assert verifyObject(IClosingConsumer, consumer)
    assert isinstance(consumer.helper, IndexHelper)
    assert consumer.helper.pid is None  # started by the first batch, not before
    settings = parse_settings({})
    assert settings["domus.fulltext_process"] is True and settings["domus.fulltext_nice"] == 10


def test_documents_written_through_the_api_are_found_once_the_helper_caught_up(api, app, index_now):
    roof = _save(api, "О ремонте кровли")
    scan = api.put(f"{DOCS}/{roof['@unid']}/attachments/{quote('акт.pdf')}",
                   pdf_with_text("Inspection of the facade"),
                   headers={"If-Match": roof["@rev"], "Content-Type": "application/pdf"}).json
    _save(api, "График уборки снега")
    index_now()
    helper = _consumer(index_now).helper
    assert helper.pid is not None and helper.pid != os.getpid()
    assert [row["@unid"] for row in search(api, "кровля")["rows"]] == [roof["@unid"]]
    assert search(api, "facade")["total"] == 1  # the attachment's text, read by the helper
    assert search(api, "снег")["total"] == 1
    api.delete(f"{DOCS}/{roof['@unid']}", headers={"If-Match": scan["@rev"]})
    index_now()
    assert search(api, "кровля")["total"] == 0 and search(api, "facade")["total"] == 0
    assert sorted(_index_unids(app)) == sorted(_live_unids(app))


@pytest.mark.parametrize("settings", [{"domus.fulltext_nice": "7"}], indirect=True)
def test_the_helper_runs_at_the_configured_niceness(api, index_now):
    _save(api, "О ремонте кровли")
    index_now()
    pid = _consumer(index_now).helper.pid
    nice = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])
    assert nice == min(19, os.getpriority(os.PRIO_PROCESS, 0) + 7)
    assert os.getpriority(os.PRIO_PROCESS, pid) == nice
    assert search(api, "кровля")["total"] == 1


@pytest.mark.parametrize("settings", [{"domus.fulltext_process": "false"}], indirect=True)
def test_without_the_helper_the_worker_indexes_in_its_own_thread(api, index_now):
    _save(api, "О ремонте кровли")
    index_now()
    assert _consumer(index_now).helper is None
    assert search(api, "кровля")["total"] == 1


@pytest.mark.parametrize("when", ["before it reads the batch", "while it applies it",
                                  "after it answered"])
def test_a_helper_killed_mid_batch_is_restarted_and_the_index_ends_exact(api, app, index_now, when):
    saved = [_save(api, f"кровля номер {n}") for n in range(6)]
    index_now()
    helper = _consumer(index_now).helper
    first, before = helper.pid, len(_index_unids(app))
    # A batch of edits, a deletion and new documents; the helper is SIGKILLed while it has it.
    for one in saved[:2]:
        api.put_json(f"{DOCS}/{one['@unid']}", {"Form": "Memo", "Subject": "фасад исправлен"},
                     headers={"If-Match": one["@rev"]})
    api.delete(f"{DOCS}/{saved[2]['@unid']}", headers={"If-Match": saved[2]["@rev"]})
    api.post_json(DOCS, [{"Form": "Memo", "Subject": f"снег номер {n}"} for n in range(300)])
    connection = helper._connection
    original = connection.send

    def send_and_kill(batch):
        if when == "before it reads the batch":
            os.kill(first, signal.SIGKILL)
            assert _wait_gone(first)
        original(batch)
        if when == "while it applies it":
            time.sleep(0.05)
        elif when == "after it answered":
            assert connection.poll(60)
        os.kill(first, signal.SIGKILL)

    connection.send = send_and_kill
    index_now()  # a failed round is retried at the next, which starts a new helper
    index_now()
    assert not _alive(first)
    unids = _index_unids(app)
    assert len(unids) == len(set(unids)) == before - 1 + 300
    assert set(unids) == _live_unids(app)
    assert search(api, "кровля")["total"] == 3 and search(api, "фасад")["total"] == 2
    assert search(api, "снег", count=1)["total"] == 300
    _save(api, "кровля последняя")
    index_now()
    assert helper.pid not in (None, first) and search(api, "кровля")["total"] == 4


def test_a_helper_killed_between_rounds_is_replaced_by_the_next(api, app, index_now):
    _save(api, "кровля")
    index_now()
    first = _consumer(index_now).helper.pid
    os.kill(first, signal.SIGKILL)
    assert _wait_gone(first)
    _save(api, "фасад")
    index_now()
    assert _consumer(index_now).helper.pid not in (None, first)
    assert search(api, "кровля")["total"] == 1 and search(api, "фасад")["total"] == 1


def test_stopping_the_worker_ends_the_helper(app, api):
    indexer = Indexer(app)
    _save(api, "кровля")
    indexer()
    pid = _consumer(indexer).helper.pid
    assert _alive(pid)
    indexer.close()  # Worker.stop
    assert not _alive(pid) and _consumer(indexer).helper.pid is None


def test_a_running_worker_thread_follows_writes_through_a_killed_helper(app, api):
    indexer = Indexer(app)
    indexer.worker.poll_seconds = 0.1
    indexer.worker.start()
    try:
        _save(api, "кровля")
        helper = _consumer(indexer).helper
        deadline = time.monotonic() + 30
        while search(api, "кровля", status="*").get("total") != 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        first = helper.pid
        os.kill(first, signal.SIGKILL)
        _save(api, "фасад")
        while search(api, "фасад", status="*").get("total") != 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert search(api, "фасад")["total"] == 1 and helper.pid not in (None, first)
    finally:
        indexer.close()
    assert not _alive(first)


def test_the_helper_ends_when_its_server_dies_without_stopping_it(tmp_path):
    script = textwrap.dedent("""
        import os, signal, sys
        from views.fulltext.helper import IndexHelper
        helper = IndexHelper(0)
        helper._start()
        print(helper.pid, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert _wait_gone(int(done.stdout.split()[0]))
