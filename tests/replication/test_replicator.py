"""The replicator between two whole applications in this process, over the real WSGI endpoint."""
from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from webtest import TestApp

from core.storage import open_db
from replication.peers import Peer, PeerError, WsgiTransport
from replication.replicator import Replicator
from replication.rules import ReplicaTooOld
from tests.conftest import ADMIN_PASSWORD, running_app

ADMIN = ("admin", ADMIN_PASSWORD)
DOCS = "/api/databases/documents/documents"


@pytest.fixture
def other(tmp_path):
    """A second site: its own storage and application."""
    zodb = open_db("memory://")
    with running_app(zodb, {"zodbconn.uri": "memory://", "domus.var_dir": str(tmp_path / "b")}) as app:
        yield app
    zodb.close()


def _client(app) -> TestApp:
    client = TestApp(app)
    client.authorization = ("Basic", ADMIN)
    return client


def _peer(app, database: str = "documents", **kw) -> Peer:
    return Peer(f"http://site/replication/{database}", WsgiTransport(app, ADMIN), **kw)


def _replica(app, api, other) -> None:
    """``documents`` of ``other`` made a replica of ``app``'s (same replica ID)."""
    replica_id = api.get("/api/databases/documents").json["replicaId"]
    _client(other).put(f"/replication/copy?replica_id={replica_id}&template=documents")


def test_continuous_replication_follows_new_changes_until_stopped(app, api, other):
    _replica(app, api, other)
    target = _client(other)
    replicator = Replicator(_peer(app), _peer(other, "copy"), continuous=True, longpoll_ms=300)
    runner = threading.Thread(target=replicator.run)
    runner.start()
    try:
        made = api.post_json(DOCS, {"Form": "Memo", "Subject": "сразу"}).json
        deadline = time.monotonic() + 30
        while target.get(f"/api/databases/copy/documents/{made['@unid']}",
                         expect_errors=True).status_int != 200:
            assert time.monotonic() < deadline, "the change never arrived"
            time.sleep(0.05)
    finally:
        replicator.stop()
        runner.join(30)
    assert not runner.is_alive()


class Flaky:
    """A transport that loses the first ``failures`` requests, as a cut link does."""

    def __init__(self, inner, failures: int) -> None:
        self.inner, self.failures = inner, failures

    def send(self, *args):
        if self.failures:
            self.failures -= 1
            raise requests.ConnectionError("connection reset by peer")
        return self.inner.send(*args)


def test_network_errors_are_retried_with_a_growing_pause(app, api, other):
    _replica(app, api, other)
    api.post_json(DOCS, {"Form": "Memo", "Subject": "через сбой"})
    pauses: list[float] = []
    target = Peer("http://site/replication/copy", Flaky(WsgiTransport(other, ADMIN), 3),
                  sleep=pauses.append)
    assert Replicator(_peer(app), target).run().docs_written == 1
    assert len(pauses) == 3 and pauses[2] > pauses[0]
    hopeless = Peer("http://site/replication/copy", Flaky(WsgiTransport(other, ADMIN), 100),
                    retries=2, sleep=pauses.append)
    with pytest.raises(PeerError) as refused:
        Replicator(_peer(app), hopeless).run()
    assert "connection reset" in refused.value.message


def test_a_pair_silent_for_longer_than_the_purge_interval_is_refused(app, api, other):
    _replica(app, api, other)
    api.post_json(DOCS, {"Form": "Memo", "Subject": "давно"})
    Replicator(_peer(app), _peer(other, "copy")).run()
    later = datetime.now(UTC) + timedelta(days=91)
    with pytest.raises(ReplicaTooOld) as refused:
        Replicator(_peer(app), _peer(other, "copy"), now=lambda: later).run()
    assert "purge interval of 90 days" in refused.value.message
    soon = datetime.now(UTC) + timedelta(days=30)
    assert Replicator(_peer(app), _peer(other, "copy"), now=lambda: soon).run().failures == 0


def test_a_reader_server_receives_only_what_it_may_read(app, api, other):
    """Pulling as a principal of the source: documents hidden by Readers never leave it."""
    _replica(app, api, other)
    api.post_json("/api/databases/directory/documents",
                  {"Form": "Person", "UserName": "site7", "FullName": "site7",
                   "Password": "Site7-password-1"})
    api.post_json("/api/databases/directory/documents",
                  {"Form": "Person", "UserName": "boss", "FullName": "boss",
                   "Password": "Boss-password-1"})
    acl = api.get("/api/databases/documents/acl").json
    acl["entries"].append({"name": "site7", "type": "person", "level": "reader", "roles": []})
    api.put_json("/api/databases/documents/acl", acl)
    api.post_json(DOCS, [{"Form": "Memo", "Subject": f"открыто {n}"} for n in range(150)])
    api.post_json(DOCS, [{"Form": "Memo", "Subject": "секрет", "Readers": ["boss"]}] * 3)
    source = Peer("http://site/replication/documents", WsgiTransport(app, ("site7", "Site7-password-1")))
    report = Replicator(source, _peer(other, "copy")).run()
    assert report.docs_written == 150
    assert _client(other).get("/replication/copy").json["doc_count"] == 150
    pushed = Replicator(_peer(other, "copy"), source)
    with pytest.raises(PeerError) as refused:
        _client(other).post_json("/api/databases/copy/documents", {"Form": "Memo", "Subject": "назад"})
        pushed.run()
    assert refused.value.status == 403


def test_a_page_too_large_for_the_target_is_sent_in_halves(app, api, tmp_path):
    """The target refuses bodies over its ``domus.max_json_bytes`` (413); every file still arrives."""
    scans = [bytes([n]) * 40_000 for n in range(12)]  # about 650 KB of base64 in all
    for n, scan in enumerate(scans):
        made = api.post_json(DOCS, {"Form": "Memo", "Subject": f"скан {n}"}).json
        api.put(f"{DOCS}/{made['@unid']}/attachments/scan.bin", scan,
                headers={"If-Match": made["@rev"], "Content-Type": "application/octet-stream"})
    zodb = open_db("memory://")
    settings = {"zodbconn.uri": "memory://", "domus.var_dir": str(tmp_path / "small"),
                "domus.max_json_bytes": "200000"}
    with running_app(zodb, settings) as small:
        _replica(app, api, small)
        report = Replicator(_peer(app), _peer(small, "copy")).run()
        assert report.failures == 0 and report.docs_written == 12
        arrived = _client(small).get("/replication/copy/_all_docs?include_docs=true").json["rows"]
        files = {row["doc"]["_attachments"]["scan.bin"]["digest"] for row in arrived}
        assert len(files) == 12
    zodb.close()
