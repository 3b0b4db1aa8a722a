"""Two app servers sharing one real ZEO server see each other's writes."""
from __future__ import annotations

import threading
import time

import pytest

from tests.integration.servers import eventually, zeo_cluster


@pytest.fixture
def cluster(tmp_path):
    with zeo_cluster(tmp_path) as (zeo, apps):
        yield apps


def test_write_through_one_server_is_read_through_the_other(cluster):
    a, b = cluster
    sa, sb = a.session(), b.session()
    created = sa.post(a.docs(), json={"Form": "Memo", "Subject": "Через A"}).json()
    response = eventually(lambda: sb.get(f"{b.docs()}/{created['@unid']}"),
                           lambda r: r.status_code == 200)
    assert response.json()["Subject"] == "Через A"
    updated = sb.put(f"{b.docs()}/{created['@unid']}", json={"Subject": "Через B"},
                     headers={"If-Match": created["@rev"]}).json()
    seen = eventually(lambda: sa.get(f"{a.docs()}/{created['@unid']}").json(),
                       lambda d: d["@rev"] == updated["@rev"])
    assert seen["Subject"] == "Через B"


def test_attachment_uploaded_through_one_is_downloaded_through_the_other(cluster):
    a, b = cluster
    sa, sb = a.session(), b.session()
    created = sa.post(a.docs(), json={"Subject": "scan"}).json()
    data = bytes(range(256)) * 4096
    sa.put(f"{a.docs()}/{created['@unid']}/attachments/scan.bin", data=data,
           headers={"If-Match": created["@rev"], "Content-Type": "application/octet-stream"}
           ).raise_for_status()
    response = eventually(lambda: sb.get(f"{b.docs()}/{created['@unid']}/attachments/scan.bin"),
                           lambda r: r.status_code == 200)
    assert response.content == data


def test_longpoll_on_one_server_wakes_for_a_write_through_the_other(cluster):
    a, b = cluster
    sa, sb = a.session(), b.session()
    feed = f"{b.url}/api/databases/documents/changes"
    last = sb.get(feed).json()["last_seq"]
    result = {}

    def wait():
        result.update(sb.get(feed, params={"since": last, "feed": "longpoll", "timeout": 10000},
                             timeout=30).json())

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.3)
    started = time.monotonic()
    created = sa.post(a.docs(), json={"Subject": "wake up"}).json()
    waiter.join(30)
    assert [row["id"] for row in result["results"]] == [created["@unid"]]
    assert time.monotonic() - started < 5


def test_concurrent_writers_on_both_servers_all_succeed_in_one_ordered_feed(cluster):
    a, b = cluster
    written: list[str] = []
    failures: list[str] = []
    lock = threading.Lock()

    def write(app, tag):
        session = app.session()
        for n in range(50):
            response = session.post(app.docs(), json={"Writer": tag, "N": n})
            with lock:
                if response.status_code == 201:
                    written.append(response.json()["@unid"])
                else:
                    failures.append(f"{response.status_code} {response.text}")

    threads = [threading.Thread(target=write, args=(app, f"{app.port}-{i}"))
               for app in (a, b) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []
    assert len(written) == 200
    for app in (a, b):
        session = app.session()
        feed = eventually(
            lambda s=session, u=app.url: s.get(f"{u}/api/databases/documents/changes",
                                               params={"limit": 1000}).json(),
            lambda f: len(f["results"]) >= 200)
        seqs = [row["seq"] for row in feed["results"]]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        assert sorted(row["id"] for row in feed["results"]) == sorted(written)
