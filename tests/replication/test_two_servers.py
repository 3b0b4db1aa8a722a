"""Two real Domus servers (waitress on loopback, FileStorage each) replicate both ways.

Creates, edits, deletions, attachments and response documents travel; then the
same document edited on both sides becomes, on both sides, the same winner
with the same visible conflict.  Replica rules: only replicas replicate.
"""
from __future__ import annotations

import threading

import pytest

from replication.peers import Peer, PeerError
from replication.replicator import Replicator
from replication.rules import ReplicaMismatch
from tests.integration.servers import AppServer, domus
from tests.replication.conftest import PEER, add_peer_identity, endpoint

DB = "archive"


def _docs(server) -> str:
    return f"{server.url}/api/databases/{DB}/documents"


def _everything(server) -> dict:
    """Every live document as the API shows it, and the leaves of every document."""
    session = server.session()
    rows = session.get(f"{_docs(server)}?include_docs=true&limit=1000").json()["rows"]
    feed = session.get(f"{server.url}/replication/{DB}/_changes?style=all_docs").json()["results"]
    leaves = {row["id"]: sorted(c["rev"] for c in row["changes"]) for row in feed}
    deleted = sorted(row["id"] for row in feed if row.get("deleted"))
    return {"docs": sorted(rows, key=lambda doc: doc["@unid"]), "leaves": leaves, "deleted": deleted}


def _sync(a, b) -> None:
    for source, target in ((a, b), (b, a)):
        report = Replicator(Peer(endpoint(source, DB, PEER)), Peer(endpoint(target, DB, PEER))).run()
        assert report.failures == 0, report.errors


def test_two_servers_replicate_both_ways_and_agree_on_conflicts(site_a, site_b):
    add_peer_identity(site_a)
    add_peer_identity(site_b)
    a, b = site_a.session(), site_b.session()
    a.post(f"{site_a.url}/api/databases", json={"name": DB, "template": "documents"}).raise_for_status()
    letter = a.post(_docs(site_a), json={"Form": "Memo", "Subject": "Письмо", "Pages": 1}).json()
    scan = a.put(f"{_docs(site_a)}/{letter['@unid']}/attachments/скан.pdf", data=b"%PDF" * 5000,
                 headers={"If-Match": letter["@rev"], "Content-Type": "application/pdf"}).json()
    answer = a.post(_docs(site_a), json={"Form": "Memo", "Subject": "Ответ",
                                         "@parent": letter["@unid"]}).json()
    doomed = a.post(_docs(site_a), json={"Form": "Memo", "Subject": "Удалить"}).json()
    a.delete(f"{_docs(site_a)}/{doomed['@unid']}", headers={"If-Match": doomed["@rev"]})

    first = Replicator(Peer(endpoint(site_a, DB, PEER)), Peer(endpoint(site_b, DB, PEER)),
                       create_target=True).run()
    assert first.docs_written == 3 and first.failures == 0
    assert _everything(site_a) == _everything(site_b)
    got = b.get(f"{_docs(site_b)}/{letter['@unid']}/attachments/скан.pdf")
    assert got.content == b"%PDF" * 5000
    assert b.get(f"{_docs(site_b)}/{letter['@unid']}/responses").json()["rows"][0]["@unid"] == answer["@unid"]
    assert b.get(f"{site_b.url}/api/databases/{DB}").json()["replicaId"] == a.get(
        f"{site_a.url}/api/databases/{DB}").json()["replicaId"]

    made_on_b = b.post(_docs(site_b), json={"Form": "Memo", "Subject": "С площадки Б"}).json()
    current = b.get(f"{_docs(site_b)}/{answer['@unid']}").json()
    b.put(f"{_docs(site_b)}/{answer['@unid']}", json={**current, "Subject": "Ответ (исправлен)"})
    _sync(site_a, site_b)
    assert a.get(f"{_docs(site_a)}/{made_on_b['@unid']}").json()["Subject"] == "С площадки Б"
    assert a.get(f"{_docs(site_a)}/{answer['@unid']}").json()["Subject"] == "Ответ (исправлен)"

    on_a = a.get(f"{_docs(site_a)}/{letter['@unid']}").json()
    a.put(f"{_docs(site_a)}/{letter['@unid']}", json={**on_a, "Pages": 2}).raise_for_status()
    b.put(f"{_docs(site_b)}/{letter['@unid']}", json={**on_a, "Pages": 3}).raise_for_status()
    _sync(site_a, site_b)
    _sync(site_a, site_b)
    seen_a, seen_b = _everything(site_a), _everything(site_b)
    assert seen_a == seen_b
    shown = a.get(f"{_docs(site_a)}/{letter['@unid']}").json()
    assert len(shown["@conflicts"]) == 1 and shown == b.get(f"{_docs(site_b)}/{letter['@unid']}").json()
    assert shown["@attachments"]["скан.pdf"]["sha256"] == scan["sha256"]
    assert doomed["@unid"] in seen_a["deleted"]


def test_databases_that_are_not_replicas_do_not_replicate(site_a, site_b):
    with pytest.raises(ReplicaMismatch):
        Replicator(Peer(endpoint(site_a, "documents")), Peer(endpoint(site_b, "documents"))).run()


def test_the_replicate_command_creates_a_replica_and_reports(site_a, site_b, tmp_path):
    a = site_a.session()
    a.post(f"{site_a.url}/api/databases", json={"name": DB, "template": "documents"}).raise_for_status()
    for n in range(30):
        a.post(_docs(site_a), json={"Form": "Memo" if n % 2 else "Incoming", "Subject": f"№{n}"})
    result = domus(tmp_path / "cli", "replicate", endpoint(site_a, DB), endpoint(site_b, DB),
                   "--create-replica", "--filter", 'Form = "Incoming"', "--batch-size", "7")
    assert "15 written, 15 left out by the filter, 0 refused" in result.stdout, result.stdout
    listed = site_b.session().get(f"{_docs(site_b)}?include_docs=true").json()
    assert listed["total"] == 15 and {doc["Form"] for doc in listed["rows"]} == {"Incoming"}
    again = domus(tmp_path / "cli", "replicate", endpoint(site_a, DB), endpoint(site_b, DB),
                  "--filter", 'Form = "Incoming"')
    assert "0 read, 0 written" in again.stdout  # resumed from the checkpoint
    refused = domus(tmp_path / "cli", "replicate", endpoint(site_a, "documents"),
                    endpoint(site_b, "documents"), check=False)
    assert refused.returncode == 1 and "not replicas of one another" in refused.stderr


def test_a_target_killed_midway_resumes_from_the_checkpoint_with_every_document_once(site_a, site_b):
    a = site_a.session()
    a.post(f"{site_a.url}/api/databases", json={"name": DB, "template": "documents"}).raise_for_status()
    for start in range(0, 10000, 1000):
        a.post(_docs(site_a), json=[{"Form": "Memo", "Subject": f"№{n}", "N": n}
                                    for n in range(start, start + 1000)]).raise_for_status()
    source = Peer(endpoint(site_a, DB))
    first = Replicator(source, Peer(endpoint(site_b, DB), retries=1, sleep=lambda s: None),
                       create_target=True, batch_size=250)
    failure: list[Exception] = []
    runner = threading.Thread(target=lambda: _run_catching(first, failure))
    runner.start()
    info = f"{site_b.url}/replication/{DB}"
    while site_b.session().get(info).json().get("update_seq", 0) < 2000:
        assert runner.is_alive(), failure
    site_b.kill9()
    runner.join(120)
    assert failure and isinstance(failure[0], (PeerError, OSError))

    restarted = AppServer(site_b.var)
    try:
        arrived = restarted.session().get(f"{restarted.url}/replication/{DB}").json()["doc_count"]
        assert 2000 <= arrived < 10000
        second = Replicator(source, Peer(endpoint(restarted, DB)), batch_size=1000).run()
        assert second.failures == 0 and second.docs_written == 10000 - arrived
        assert second.docs_read <= 10000 - arrived + 250  # at most the batch in flight again
        rows = restarted.session().get(f"{restarted.url}/replication/{DB}/_changes?style=all_docs"
                                       ).json()["results"]
        assert len(rows) == 10000 and all(len(row["changes"]) == 1 for row in rows)
        assert {row["changes"][0]["rev"][:2] for row in rows} == {"1-"}
    finally:
        restarted.stop()


def _run_catching(replicator: Replicator, failures: list) -> None:
    try:
        replicator.run()
    except Exception as error:  # noqa: BLE001 - the test inspects it
        failures.append(error)
