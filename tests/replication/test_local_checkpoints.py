"""``_local`` checkpoints belong to the identity that wrote them, are bounded, and stay small on disk.

Issue 13 found one namespace writable by any Reader: a Reader rewrote the
replicator's checkpoint (its id is computable from public data) and the next
replication silently skipped documents; ``_local`` rewrites grew Data.fs and
were not given back.  Each identity now has its own namespace, each document
a bounded size and each identity a bounded count, and a rewrite stores one
small record.
"""
from __future__ import annotations

import os

import pytest
from BTrees.OOBTree import OOBTree
from webtest import TestApp

from core.root import server_root
from core.storage import connection_scope, open_db
from replication.local_docs import UNOWNED_ANNOTATION
from tests.conftest import ADMIN_PASSWORD, add_people, basic_client, memory_app, running_app

R = "/replication/documents/_local"
PASSWORD = "Local-password-1"
MAX_BYTES = 4096
MAX_DOCUMENTS = 3


def _client(app, name: str, password: str = PASSWORD) -> TestApp:
    return basic_client(app, name, password)


@pytest.fixture(scope="module")
def clients(tmp_path_factory):
    """The administrator (the server's replicator) and two other users, on small limits."""
    with memory_app(tmp_path_factory.mktemp("var"), **{
            "domus.max_local_bytes": str(MAX_BYTES),
            "domus.max_local_documents": str(MAX_DOCUMENTS)}) as (app, zodb):
        admin = _client(app, "admin", ADMIN_PASSWORD)
        add_people(admin, ("other", "counter"), PASSWORD)
        add_people(admin, ("reader",), PASSWORD, "documents", "reader")
        yield {"admin": admin, "reader": _client(app, "reader"), "other": _client(app, "other"),
               "counter": _client(app, "counter"), "zodb": zodb}


def test_another_identity_reads_the_replicators_checkpoint_as_absent(clients):
    clients["admin"].put_json(f"{R}/replicator-1", {"last_seq": 42}, status=201)
    clients["reader"].get(f"{R}/replicator-1", status=404)
    clients["other"].get(f"{R}/replicator-1", status=404)
    assert clients["admin"].get(f"{R}/replicator-1").json["last_seq"] == 42


def test_a_reader_writing_the_same_id_writes_its_own_checkpoint(clients):
    clients["admin"].put_json(f"{R}/replicator-2", {"last_seq": 42}, status=201)
    rev = clients["reader"].put_json(f"{R}/replicator-2", {"last_seq": 0}, status=201).json["rev"]
    assert rev == "0-1"
    assert clients["reader"].get(f"{R}/replicator-2").json["last_seq"] == 0
    assert clients["admin"].get(f"{R}/replicator-2").json == {
        "_id": "_local/replicator-2", "_rev": "0-1", "last_seq": 42}


def test_another_identity_cannot_delete_the_replicators_checkpoint(clients):
    clients["admin"].put_json(f"{R}/replicator-3", {"last_seq": 7}, status=201)
    clients["reader"].delete(f"{R}/replicator-3", status=404)
    assert clients["admin"].get(f"{R}/replicator-3").json["last_seq"] == 7
    clients["admin"].delete(f"{R}/replicator-3")
    clients["admin"].get(f"{R}/replicator-3", status=404)


def test_a_checkpoint_larger_than_the_limit_is_413(clients):
    answer = clients["other"].put_json(f"{R}/big", {"history": "я" * MAX_BYTES}, status=413).json
    assert answer["error"] == "too_large" and "domus.max_local_bytes" in answer["reason"]
    clients["other"].get(f"{R}/big", status=404)


def test_more_checkpoints_than_the_limit_per_identity_is_413_and_rewrites_still_work(clients):
    counter = clients["counter"]
    for number in range(MAX_DOCUMENTS):
        counter.put_json(f"{R}/many-{number}", {"n": number}, status=201)
    answer = counter.put_json(f"{R}/one-too-many", {"n": 9}, status=413).json
    assert "domus.max_local_documents" in answer["reason"]
    current = counter.get(f"{R}/many-0").json
    counter.put_json(f"{R}/many-0", {**current, "n": 10}, status=201)
    clients["other"].put_json(f"{R}/one-too-many", {"n": 9}, status=201)  # a limit per identity
    counter.delete(f"{R}/many-1")
    counter.put_json(f"{R}/one-too-many", {"n": 9}, status=201)


def test_checkpoints_kept_before_they_had_owners_are_dropped_on_the_first_write(clients):
    with connection_scope(clients["zodb"]) as (tm, connection), tm:
        database = server_root(connection).get_database("appeals")
        database.annotations[UNOWNED_ANNOTATION] = OOBTree(
            {"old": '{"_id": "_local/old", "_rev": "0-1", "last_seq": 9}'})
    clients["admin"].put_json("/replication/appeals/_local/new", {"last_seq": 1}, status=201)
    clients["admin"].get("/replication/appeals/_local/old", status=404)
    with connection_scope(clients["zodb"]) as (tm, connection), tm:
        database = server_root(connection).get_database("appeals")
        assert UNOWNED_ANNOTATION not in database.annotations


def _file_app(folder):
    zodb = open_db(f"file://{folder}/Data.fs?blobstorage_dir={folder}/blobs")
    settings = {"zodbconn.uri": "memory://", "domus.var_dir": str(folder / "var")}
    return zodb, running_app(zodb, settings)


def test_rewriting_a_checkpoint_grows_data_fs_by_its_size_and_deleting_gives_it_back(tmp_path):
    zodb, running = _file_app(tmp_path)
    size = 8000
    rewrites = 40
    with running as app:
        admin = _client(app, "admin", ADMIN_PASSWORD)
        for number in range(20):  # neighbours that a rewrite must not store again
            admin.put_json(f"{R}/neighbour-{number}", {"history": "x" * size}, status=201)
        data_fs = tmp_path / "Data.fs"
        rev = admin.put_json(f"{R}/checkpoint", {"history": "y" * size}, status=201).json["rev"]
        zodb.pack(days=0)
        before = os.path.getsize(data_fs)
        for _ in range(rewrites):
            rev = admin.put_json(f"{R}/checkpoint", {"_rev": rev, "history": "y" * size}).json["rev"]
        grown = os.path.getsize(data_fs) - before
        assert grown <= rewrites * (size + 1500), grown
        zodb.pack(days=0)
        assert os.path.getsize(data_fs) - before <= 2000
        for number in range(20):
            admin.delete(f"{R}/neighbour-{number}")
        admin.delete(f"{R}/checkpoint")
        zodb.pack(days=0)
        assert os.path.getsize(data_fs) < before - 20 * size
    zodb.close()
