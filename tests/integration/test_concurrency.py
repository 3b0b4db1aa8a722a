"""Many clients against one real server: nothing lost, nothing doubled, order kept."""
from __future__ import annotations

import threading

from tests.integration.servers import AppServer

WRITERS, PER_WRITER = 8, 250
UPDATERS, INCREMENTS = 4, 25


def test_eight_writers_all_acknowledged_counted_and_in_the_feed_once(server: AppServer):
    session = server.session()
    info = f"{server.url}/api/databases/documents"
    feed_url = f"{info}/changes"
    before = session.get(info).json()
    written: list[str] = []
    statuses: list[int] = []
    lock = threading.Lock()
    storm_over = threading.Event()
    seen_seqs: list[int] = []
    seen_ids: set[str] = set()

    def write(tag: int) -> None:
        client = server.session()
        for n in range(PER_WRITER):
            response = client.post(server.docs(), json={"Writer": tag, "N": n, "Subject": "Нагрузка"})
            with lock:
                statuses.append(response.status_code)
                if response.status_code == 201:
                    written.append(response.json()["@unid"])

    def read_feed() -> None:
        client, since = server.session(), before["updateSeq"]
        while True:
            over = storm_over.is_set()
            page = client.get(feed_url, params={"since": since, "limit": 500}).json()
            for row in page["results"]:
                seen_seqs.append(row["seq"])
                seen_ids.add(row["id"])
            since = page["last_seq"]
            if over and not page["results"]:
                return

    reader = threading.Thread(target=read_feed)
    reader.start()
    writers = [threading.Thread(target=write, args=(tag,)) for tag in range(WRITERS)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(300)
    storm_over.set()
    reader.join(60)

    assert statuses == [201] * (WRITERS * PER_WRITER)
    assert len(set(written)) == WRITERS * PER_WRITER
    after = session.get(info).json()
    assert after["documents"] == before["documents"] + WRITERS * PER_WRITER
    assert seen_seqs == sorted(seen_seqs) and len(seen_seqs) == len(set(seen_seqs))
    assert set(written) <= seen_ids
    feed = session.get(feed_url, params={"since": before["updateSeq"], "limit": 1000}).json()
    rows = feed["results"]
    while feed["results"]:
        feed = session.get(feed_url, params={"since": feed["last_seq"], "limit": 1000}).json()
        rows += feed["results"]
    assert sorted(row["id"] for row in rows) == sorted(written)
    for unid in written[:: len(written) // 50]:
        assert session.get(f"{server.docs()}/{unid}").status_code == 200


def test_four_updaters_of_one_document_lose_no_update(server: AppServer):
    session = server.session()
    created = session.post(server.docs(), json={"Counter": 0}).json()
    url = f"{server.docs()}/{created['@unid']}"
    statuses: list[int] = []
    lock = threading.Lock()

    def increment() -> None:
        client = server.session()
        done = 0
        while done < INCREMENTS:
            current = client.get(url).json()
            response = client.put(url, json={"Counter": current["Counter"] + 1},
                                  headers={"If-Match": current["@rev"]})
            with lock:
                statuses.append(response.status_code)
            if response.status_code == 200:
                done += 1

    threads = [threading.Thread(target=increment) for _ in range(UPDATERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert set(statuses) <= {200, 409}
    assert statuses.count(200) == UPDATERS * INCREMENTS
    final = session.get(url).json()
    assert final["Counter"] == UPDATERS * INCREMENTS
    history = session.get(f"{url}/history").json()["history"]
    assert len(history) == UPDATERS * INCREMENTS + 1
