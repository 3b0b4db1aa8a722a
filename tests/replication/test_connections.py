"""Connections: Directory documents the worker runs on schedule, with a history of every run."""
from __future__ import annotations

import json
import time

import transaction

from core.root import server_root
from replication.connections import Credentials, ScheduledConnections
from replication.peers import Peer
from replication.replicator import Replicator
from tests.integration.servers import ADMIN
from tests.replication.conftest import endpoint

DIRECTORY_DOCS = "/api/databases/directory/documents"
DB = "archive"


def _run_task(app, task, now: float) -> None:
    """One round of the task as the worker runs it: its own connection and transaction."""
    manager = transaction.TransactionManager(explicit=True)
    connection = app.registry.zodb.open(transaction_manager=manager)
    try:
        manager.begin()
        task.run(server_root(connection), now)
        manager.commit()
    finally:
        connection.close()


def _bare(server) -> str:
    return f"{server.url}/replication/{DB}"


def test_a_connection_runs_on_schedule_and_leaves_its_history(app, api, anonymous, site_a, site_b,
                                                               tmp_path):
    source = site_a.session()
    source.post(f"{site_a.url}/api/databases", json={"name": DB, "template": "documents"})
    for n in range(3):
        source.post(f"{site_a.url}/api/databases/{DB}/documents", json={"Form": "Memo", "N": n})
    secrets = tmp_path / "credentials.json"
    secrets.write_text(json.dumps({"sites": {"user": ADMIN[0], "password": ADMIN[1]}}))
    task = ScheduledConnections(Credentials(secrets))
    connection = api.post_json(DIRECTORY_DOCS, {
        "Form": "Connection", "Source": _bare(site_a), "Target": _bare(site_b),
        "Direction": "both", "IntervalMinutes": 5, "Credentials": "sites"}).json

    start = time.time()
    _run_task(app, task, start)
    failed = api.get("/api/replication/history").json["history"]
    assert len(failed) == 1 and "does not exist" in failed[0]["error"]

    Replicator(Peer(endpoint(site_a, DB)), Peer(endpoint(site_b, DB)), create_target=True).run()
    site_b.session().post(f"{site_b.url}/api/databases/{DB}/documents", json={"Form": "Memo", "N": 9})
    _run_task(app, task, start + 60)  # not due yet: five minutes
    assert len(api.get("/api/replication/history").json["history"]) == 1
    _run_task(app, task, start + 301)
    history = api.get("/api/replication/history?limit=2").json["history"]
    assert [entry["connection"] for entry in history] == [connection["@unid"]] * 2
    back, forth = history
    assert forth["source"].endswith(f"{site_a.port}/replication/{DB}") and forth["docsWritten"] == 0
    assert back["docsWritten"] == 1 and back["error"] is None and back["ended"] >= back["started"]
    assert site_a.session().get(f"{site_a.url}/replication/{DB}").json()["doc_count"] == 4

    anonymous.get("/api/replication/history", status=401)
    api.put_json(f"{DIRECTORY_DOCS}/{connection['@unid']}", {"Form": "Connection", "Enabled": False},
                 headers={"If-Match": connection["@rev"]})
    _run_task(app, task, start + 10000)
    assert len(api.get("/api/replication/history?limit=100").json["history"]) == 3
