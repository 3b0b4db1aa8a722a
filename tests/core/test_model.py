"""The persistent model honours its interfaces and keeps its counters straight."""
from __future__ import annotations

import io
from datetime import UTC

import pytest
import transaction
from zope.interface.verify import verifyObject

from core.attachments import Attachment
from core.database import Database
from core.document import Document, new_unid
from core.exceptions import AlreadyExists, DatabaseNotFound, DocumentNotFound
from core.interfaces import IAttachment, IDatabase, IDocument, IRevision, IServerRoot
from core.maintenance import PurgeDeletionStubs, purge_stubs
from core.plugins import make_plugin_manager
from core.root import ServerRoot, server_root
from core.storage import connection_scope
from core.writes import Writer


@pytest.fixture
def scope(zodb):
    with connection_scope(zodb) as (tm, connection):
        tm.begin()
        root = server_root(connection)
        database = root.add_database(Database("db", {"en": "DB"}, "documents", {"forms": {}}))
        writer = Writer(make_plugin_manager(load_entry_points=False), "tester", tm)
        yield tm, root, database, writer


def test_objects_provide_their_interfaces(scope):
    tm, root, database, writer = scope
    document = writer.create(database, {"A": 1})
    writer.put_attachment(database, document, document.winner, "a.txt", "text/plain",
                          io.BytesIO(b"abc"), 3)
    assert verifyObject(IServerRoot, root)
    assert verifyObject(IDatabase, database)
    assert verifyObject(IDocument, document)
    assert verifyObject(IRevision, document.current())
    assert verifyObject(IAttachment, document.current().attachments["a.txt"])
    assert isinstance(root, ServerRoot) and isinstance(document, Document)


def test_new_unids_are_unique_and_increasing():
    unids = [new_unid() for _ in range(2000)]
    assert len(set(unids)) == 2000
    assert [u[:12] for u in unids] == sorted(u[:12] for u in unids)


def test_count_follows_creates_deletes_and_restores(scope):
    tm, root, database, writer = scope
    a = writer.create(database, {"A": 1})
    writer.create(database, {"A": 2})
    assert database.document_count() == 2
    writer.delete(database, a, a.winner)
    assert database.document_count() == 1
    writer.restore(database, a)
    assert database.document_count() == 2
    assert database.verify() == []


def test_database_and_root_refuse_unknown_and_duplicate_names(scope):
    tm, root, database, writer = scope
    with pytest.raises(DatabaseNotFound):
        root.get_database("nope")
    with pytest.raises(AlreadyExists):
        root.add_database(Database("db", {}, "documents", {}))
    with pytest.raises(DocumentNotFound):
        database.get_document("X" * 32)


def test_design_is_a_copy_of_what_was_given():
    design = {"forms": {"Memo": {"items": []}}}
    database = Database("db", {}, "documents", design)
    design["forms"]["Memo"]["items"].append("changed")
    assert database.design["forms"]["Memo"]["items"] == []


def test_purge_removes_only_old_stubs_with_their_feed_entries(scope):
    from datetime import datetime, timedelta

    tm, root, database, writer = scope
    old = writer.create(database, {"A": 1})
    writer.delete(database, old, old.winner)
    fresh = writer.create(database, {"A": 2})
    writer.delete(database, fresh, fresh.winner)
    now = datetime.now(UTC)
    assert purge_stubs(database, now + timedelta(days=89)) == 0
    database.tombstones()[old.unid] = "2000-01-01T00:00:00.000Z"
    assert purge_stubs(database, now) == 1
    assert old.unid not in database.documents
    assert fresh.unid in database.documents
    assert [c.unid for c in database.changes_since(0, 10)] == [fresh.unid]
    assert database.verify() == []


def test_purge_task_walks_every_database(scope):
    tm, root, database, writer = scope
    doc = writer.create(database, {"A": 1})
    writer.delete(database, doc, doc.winner)
    database.tombstones()[doc.unid] = "2000-01-01T00:00:00.000Z"
    PurgeDeletionStubs().run(root, 2_000_000_000)
    assert doc.unid not in database.documents


def test_verify_reports_a_broken_count(scope):
    tm, root, database, writer = scope
    writer.create(database, {"A": 1})
    database._count.change(5)
    assert any("document count" in p for p in database.verify())


def test_attachment_fill_refuses_over_limit():
    from core.exceptions import PayloadTooLarge

    attachment = Attachment("a.bin", "application/octet-stream")
    with pytest.raises(PayloadTooLarge):
        attachment.fill(io.BytesIO(b"x" * 70000), limit=65536)


def test_server_root_is_created_once(zodb):
    with connection_scope(zodb) as (tm, connection), tm:
        first = server_root(connection).server_uuid
    with connection_scope(zodb) as (tm, connection), tm:
        assert server_root(connection).server_uuid == first


def test_transaction_abort_discards_a_write(zodb):
    with connection_scope(zodb) as (tm, connection):
        tm.begin()
        root = server_root(connection)
        database = root.add_database(Database("db", {}, "documents", {}))
        tm.commit()
        tm.begin()
        Writer(make_plugin_manager(load_entry_points=False), "t", tm).create(database, {"A": 1})
        tm.abort()
        tm.begin()
        assert database.document_count() == 0
        assert database.last_seq() == 0
        tm.abort()
    assert transaction  # the module is the one pyramid_tm drives
