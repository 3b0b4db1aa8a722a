"""Writers that arrive together share one commit; a failure stays with its request."""
from __future__ import annotations

import threading
import time

import pytest
from webtest import TestApp

from core.plugins import hookimpl
from tests.conftest import ADMIN_PASSWORD, DOCS


class Gate:
    """Holds the first write in its view until the others are queued behind it."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.armed = False
        self.commit_failures: list[type[Exception]] = []
        self.explode_on: str | None = None
        self.runs_of_first = 0

    @hookimpl
    def validate_document(self, database, document, items, previous, principal):
        if self.armed and items.get("First"):
            self.runs_of_first += 1
            self.release.wait(10)
        if items.get("Subject") == "invalid":
            return [{"item": "Subject", "message": "refused"}]
        return []

    @hookimpl
    def after_save(self, database, document, revision, principal):
        if self.explode_on and revision.items.get("Subject") == self.explode_on:
            raise RuntimeError("a plugin failed after the revision was stored")
        if self.commit_failures:
            database._p_jar.transaction_manager.get().addBeforeCommitHook(self._maybe_fail)

    def _maybe_fail(self):
        if self.commit_failures:
            raise self.commit_failures.pop(0)("simulated failure at commit")


@pytest.fixture
def gate():
    return Gate()


@pytest.fixture
def extra_plugins(gate):
    return (gate,)


def _client(app):
    client = TestApp(app)
    client.authorization = ("Basic", ("admin", ADMIN_PASSWORD))
    return client


def _storm(app, gate, bodies, anonymous=()):
    """POST ``bodies`` concurrently, the first held until all others wait; return responses."""
    committer = app.registry.committer
    commits = []
    original = committer.tm.commit

    def counting_commit():
        commits.append(1)
        return original()

    committer.tm.commit = counting_commit
    gate.armed = True
    results: dict[int, object] = {}

    def post(index, body):
        client = TestApp(app) if index in anonymous else _client(app)
        results[index] = client.post_json(DOCS, body, expect_errors=True)

    threads = [threading.Thread(target=post, args=(i, b)) for i, b in enumerate(bodies)]
    threads[0].start()
    time.sleep(0.2)
    for thread in threads[1:]:
        thread.start()
    deadline = time.monotonic() + 10
    while committer._waiting < len(bodies) - 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    gate.release.set()
    for thread in threads:
        thread.join(30)
    committer.tm.commit = original
    gate.armed = False
    return [results[i] for i in range(len(bodies))], len(commits)


def test_writers_that_arrive_together_share_one_commit(app, gate):
    bodies = [{"First": True, "N": 0}] + [{"N": n} for n in range(1, 6)]
    responses, commits = _storm(app, gate, bodies)
    assert [r.status_int for r in responses] == [201] * 6
    assert commits <= 2
    client = _client(app)
    for response in responses:
        assert client.get(f"{DOCS}/{response.json['@unid']}").status_int == 200
    assert client.get("/api/databases/documents").json["documents"] == 6


def test_a_refused_write_in_a_group_leaves_no_trace_and_spares_the_others(app, gate):
    bodies = [{"First": True}, {"N": 1}, {"Subject": "invalid"}, {"N": 3}]
    responses, _ = _storm(app, gate, bodies)
    assert [r.status_int for r in responses] == [201, 201, 422, 201]
    client = _client(app)
    feed = client.get("/api/databases/documents/changes").json["results"]
    assert sorted(row["id"] for row in feed) == sorted(
        r.json["@unid"] for r in responses if r.status_int == 201)


def test_a_refused_first_write_of_a_group_spares_the_ones_after_it(app, gate):
    bodies = [{"First": True, "Subject": "invalid"}, {"N": 1}, {"N": 2}]
    responses, _ = _storm(app, gate, bodies)
    assert [r.status_int for r in responses] == [422, 201, 201]
    assert _client(app).get("/api/databases/documents").json["documents"] == 2


def test_a_write_refused_midway_is_undone_and_its_group_runs_again(app, gate):
    bulk = [{"Subject": "first of the bulk"}, {"Subject": "invalid"}]
    responses, _ = _storm(app, gate, [{"First": True}, bulk, {"N": 2}])
    assert [r.status_int for r in responses] == [201, 422, 201]
    assert responses[1].json["index"] == 1
    client = _client(app)
    assert client.get("/api/databases/documents").json["documents"] == 2
    listed = client.get(DOCS, {"include_docs": "true"}).json["rows"]
    assert "first of the bulk" not in [row.get("Subject") for row in listed]
    feed = client.get("/api/databases/documents/changes").json["results"]
    assert len(feed) == 2


def test_an_unexpected_error_midway_aborts_the_group_and_the_others_run_again(app, gate):
    gate.explode_on = "boom"
    responses, _ = _storm(app, gate, [{"First": True}, {"Subject": "boom"}, {"N": 2}])
    gate.explode_on = None
    assert [r.status_int for r in responses] == [201, 500, 201]
    assert _client(app).get("/api/databases/documents").json["documents"] == 2


def test_a_refused_login_in_a_group_spares_the_others(app, gate):
    responses, commits = _storm(app, gate, [{"First": True}, {"N": 1}, {"N": 2}], anonymous={1})
    assert [r.status_int for r in responses] == [201, 401, 201]
    assert gate.runs_of_first == 1  # not sent back to run again
    assert commits == 1


def test_a_failed_commit_fails_every_write_of_its_group(app, gate):
    gate.commit_failures = [RuntimeError]
    responses, _ = _storm(app, gate, [{"First": True}, {"N": 1}, {"N": 2}])
    assert [r.status_int for r in responses] == [500, 500, 500]
    assert all(r.json["error"] == "internal_error" for r in responses)
    assert _client(app).get("/api/databases/documents").json["documents"] == 0


def test_a_conflict_at_commit_sends_the_group_back_to_be_retried(app, gate):
    from ZODB.POSException import ConflictError

    gate.commit_failures = [ConflictError]
    responses, _ = _storm(app, gate, [{"First": True}, {"N": 1}, {"N": 2}])
    assert gate.commit_failures == []
    assert [r.status_int for r in responses] == [201, 201, 201]
    client = _client(app)
    assert client.get("/api/databases/documents").json["documents"] == 3
    assert len(client.get("/api/databases/documents/changes").json["results"]) == 3


def test_a_lone_writer_commits_at_once(api, app):
    committer = app.registry.committer
    api.post_json(DOCS, {"N": 1})
    assert committer._group is None
    assert committer._waiting == 0
