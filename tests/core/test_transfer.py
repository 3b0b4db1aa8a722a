"""Export then import gives back every document, revision, attachment and history entry."""
from __future__ import annotations

import io
import zipfile

import pytest

from core.database import Database
from core.document import Document, Revision
from core.exceptions import AlreadyExists, BadRequest
from core.plugins import make_plugin_manager
from core.root import server_root
from core.storage import connection_scope, open_db
from core.transfer import count_documents, export_database, import_database
from core.writes import Writer


def _fill(db):
    pm = make_plugin_manager(load_entry_points=False)
    with connection_scope(db) as (tm, connection), tm:
        root = server_root(connection)
        database = root.add_database(
            Database("docs", {"ru": "Документы", "en": "Documents"}, "documents", {"forms": {"Memo": {}}})
        )
        writer = Writer(pm, "ivanova", tm)
        letter = writer.create(database, {"Form": "Incoming", "Subject": "Письмо", "Pages": 3})
        writer.put_attachment(database, letter, letter.winner, "скан.pdf", "application/pdf",
                              io.BytesIO(b"%PDF-1.4 scan"), None)
        writer.update(database, letter, {"Form": "Incoming", "Subject": "Письмо (уточнено)"},
                      letter.winner)
        writer.create(database, {"Form": "Resolution", "Text": "В работу"}, parent_unid=letter.unid)
        gone = writer.create(database, {"Form": "Memo", "Subject": "Удалить"})
        writer.delete(database, gone, gone.winner)
        conflicted = writer.create(database, {"Form": "Memo", "Subject": "База"})
        base = conflicted.winner
        writer.update(database, conflicted, {"Form": "Memo", "Subject": "Здесь"}, base)
        writer.graft(database, conflicted, Revision(
            "2-" + "f" * 32, base, {"Form": "Memo", "Subject": "Там"}, updated_by="remote",
            timestamp="2026-01-01T00:00:00.000Z", changed=("Subject",)))
        return letter.unid, conflicted.unid


def test_export_import_export_is_byte_identical(tmp_path):
    source, target = open_db("memory://"), open_db("memory://")
    _fill(source)
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"
    assert export_database(source, "docs", first) == 4
    assert count_documents(first) == 4
    name, count = import_database(target, make_plugin_manager(load_entry_points=False), first)
    assert (name, count) == ("docs", 4)
    export_database(target, "docs", second)
    assert first.read_bytes() == second.read_bytes()
    source.close()
    target.close()


def test_import_restores_history_conflicts_stubs_responses_and_files(tmp_path):
    source, target = open_db("memory://"), open_db("memory://")
    letter_unid, conflicted_unid = _fill(source)
    path = tmp_path / "export.zip"
    export_database(source, "docs", path)
    import_database(target, make_plugin_manager(load_entry_points=False), path)
    with connection_scope(target) as (tm, connection):
        tm.begin()
        database = server_root(connection).get_database("docs")
        letter: Document = database.get_document(letter_unid)
        assert [r.rev[:2] for r in letter.history()] == ["3-", "2-", "1-"]
        assert letter.current().items["Subject"] == "Письмо (уточнено)"
        with letter.current().attachments["скан.pdf"].open() as handle:
            assert handle.read() == b"%PDF-1.4 scan"
        assert len(database.responses_of(letter_unid)) == 1
        assert database.get_document(conflicted_unid).conflicts()
        assert database.document_count() == 3
        assert len(database.tombstones()) == 1
        assert database.verify() == []
        assert database.title == {"ru": "Документы", "en": "Documents"}
    source.close()
    target.close()


def test_import_refuses_an_existing_database(tmp_path):
    db = open_db("memory://")
    _fill(db)
    path = tmp_path / "export.zip"
    export_database(db, "docs", path)
    with pytest.raises(AlreadyExists):
        import_database(db, make_plugin_manager(load_entry_points=False), path)
    name, _ = import_database(db, make_plugin_manager(load_entry_points=False), path, "copy")
    assert name == "copy"
    db.close()


def test_import_refuses_a_corrupt_attachment(tmp_path):
    db = open_db("memory://")
    _fill(db)
    path, bad = tmp_path / "export.zip", tmp_path / "bad.zip"
    export_database(db, "docs", path)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, b"tampered" if info.filename.startswith("attachments/") else data)
    with pytest.raises(BadRequest, match="corrupt"):
        import_database(db, make_plugin_manager(load_entry_points=False), bad, "copy")
    db.close()


def test_foreign_revisions_and_known_ancestors_survive_export_and_import(tmp_path):
    """A copy from PouchDB (no Domus metadata, ancestors known by id only) comes back the same."""
    source, target = open_db("memory://"), open_db("memory://")
    unid, rev = "a" * 32, "3-" + "c" * 32
    with connection_scope(source) as (tm, connection), tm:
        database = server_root(connection).add_database(
            Database("docs", {"ru": "Документы"}, "documents", {"forms": {"Memo": {}}}))
        document = Document(unid)
        document.stems = {rev: ("b" * 32, "d" * 32)}
        revision = Revision(rev, None, {"Form": "Memo", "Subject": "Из PouchDB"}, updated_by="",
                            timestamp="2026-11-20T10:00:00.000Z", changed=("Subject",))
        revision.foreign = True
        Writer(make_plugin_manager(load_entry_points=False), "replicator", tm).graft(
            database, document, revision)
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"
    export_database(source, "docs", first)
    import_database(target, make_plugin_manager(load_entry_points=False), first)
    with connection_scope(target) as (tm, connection):
        tm.begin()
        copied = server_root(connection).get_database("docs").get_document(unid)
        assert copied.current().foreign and copied.current().rev == rev
        assert copied.stems == {rev: ("b" * 32, "d" * 32)}
    export_database(target, "docs", second)
    assert first.read_bytes() == second.read_bytes()
    source.close()
    target.close()
