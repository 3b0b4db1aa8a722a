"""Full text on real servers: two app servers on one ZEO, the lag under load, ``domus reindex``."""
from __future__ import annotations

import threading
import time

import pytest

from tests.integration.servers import AppServer, domus, eventually, zeo_cluster

LAG_SECONDS = 2.0
WRITES_PER_SECOND = 50
LOAD_SECONDS = 6
WRITERS = 10


def _search(server: AppServer, session, q: str, **params) -> dict:
    answer = session.get(f"{server.url}/api/databases/documents/search", params={"q": q, **params},
                         timeout=30)
    return answer.json() if answer.status_code == 200 else {"total": 0, "rows": [],
                                                             "status": answer.status_code}


@pytest.fixture
def cluster(tmp_path):
    with zeo_cluster(tmp_path) as (zeo, apps):
        yield zeo, apps


def test_a_document_written_through_one_server_is_found_through_the_other(cluster):
    _, (a, b) = cluster
    sa, sb = a.session(), b.session()
    created = sa.post(a.docs(), json={"Form": "Memo", "Subject": "Благоустройство сквера на Кремлёвской"}
                      ).json()
    found = eventually(lambda: _search(b, sb, "благоустройству сквера"), lambda r: r["total"] == 1,
                       seconds=15.0)
    assert [row["@unid"] for row in found["rows"]] == [created["@unid"]]
    assert _search(a, sa, "сквер")["total"] == 1  # and each keeps its own index
    assert (a.var / "fulltext" / "documents").is_dir() and (b.var / "fulltext" / "documents").is_dir()


def test_reindex_from_the_command_line_while_the_server_keeps_searching(cluster, tmp_path):
    zeo, (a, _) = cluster
    session = a.session()
    session.post(a.docs(), json=[{"Form": "Memo", "Subject": f"Ремонт кровли дома {n}"}
                                 for n in range(300)]).raise_for_status()
    eventually(lambda: _search(a, session, "кровли"), lambda r: r["total"] == 300, seconds=15.0)
    answers: list[int] = []
    stop = threading.Event()

    def keep_searching() -> None:
        while not stop.is_set():
            answers.append(_search(a, session, "кровли")["total"])

    searcher = threading.Thread(target=keep_searching)
    searcher.start()
    try:
        result = domus(a.var, "reindex", "documents", storage=zeo.uri(tmp_path / "cache-cli"))
    finally:
        stop.set()
        searcher.join(30)
    assert "rebuilt: 300 documents" in result.stdout  # (the bar shows only on a terminal)
    assert answers and set(answers) == {300}
    assert _search(a, session, "кровли")["total"] == 300


def test_the_index_trails_a_steady_load_of_50_writes_a_second_by_at_most_2_seconds(tmp_path):
    domus(tmp_path / "var", "init")
    server = AppServer(tmp_path / "var")
    try:
        acknowledged: dict[str, float] = {}
        counts: list[tuple[float, int]] = [(0.0, 0)]  # (time, documents found)
        writing = threading.Event()
        writing.set()
        started = time.monotonic()

        def write(lane: int) -> None:
            """One of WRITERS clients, each writing its share of the steady rate on schedule."""
            session = server.session()
            for number in range(lane, WRITES_PER_SECOND * LOAD_SECONDS, WRITERS):
                time.sleep(max(0.0, started + number / WRITES_PER_SECOND - time.monotonic()))
                created = session.post(server.docs(), json={"Form": "Memo", "Subject": f"замер {number}"})
                acknowledged[created.json()["@unid"]] = time.monotonic()

        def poll() -> None:
            """How many of the load's documents the index holds, over time (one light query)."""
            session = server.session()
            deadline = None
            while deadline is None or (counts[-1][1] < len(acknowledged) and time.monotonic() < deadline):
                total = _search(server, session, "замер", count=1, sort="-created")["total"]
                now = time.monotonic()
                if total > counts[-1][1]:
                    counts.append((now, total))
                if deadline is None and not writing.is_set():
                    deadline = now + 10
                time.sleep(0.1)

        poller = threading.Thread(target=poll)
        poller.start()
        writers = [threading.Thread(target=write, args=(lane,)) for lane in range(WRITERS)]
        for thread in writers:
            thread.start()
        for thread in writers:
            thread.join(120)
        rate = len(acknowledged) / (time.monotonic() - started)
        writing.clear()
        poller.join(60)
        # The n-th acknowledged document is in the index once the index holds n of them.
        acks = sorted(acknowledged.values())
        lags = sorted(next((at for at, total in counts if total > n), float("inf")) - ack
                      for n, ack in enumerate(acks))
        print(f"\n{rate:.0f} writes/s; lag median {lags[len(lags) // 2]:.3f} s, max {lags[-1]:.3f} s")
        assert rate >= WRITES_PER_SECOND * 0.9
        assert counts[-1][1] == len(acknowledged), "some documents were never found"
        assert lags[-1] <= LAG_SECONDS
    finally:
        server.stop()
