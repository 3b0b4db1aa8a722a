"""The view journal: a save writes one entry and no index record, the worker moves the rows,
and a read is never behind and writes nothing."""
from __future__ import annotations

from ZODB.utils import get_pickle_metadata

from core.database import Database
from core.plugins import make_plugin_manager
from core.root import server_root
from core.settings import parse_settings
from core.storage import connection_scope, open_db
from core.templates import install_database
from core.worker import Worker
from core.writes import Writer
from tests.conftest import DOCS
from tests.views.test_view_property import DESIGN
from views import catalog, journal
from views.reading import Query, ViewReader


def _classes_of_last_transaction(db) -> list[str]:
    storage = db.storage
    last = storage.lastTransaction()
    for transaction in storage.iterator(last, last):
        return [get_pickle_metadata(record.data)[1] for record in transaction]
    return []


def _subjects(database) -> list[str]:
    view, index = catalog.serving(database, "ByDept")
    page = ViewReader(view, index, lambda readers: True).read(Query(count=100, expand=True))
    return sorted(row["Subject"] for row in page["rows"] if "@unid" in row)


def test_a_save_writes_one_journal_entry_and_the_worker_moves_the_rows(tmp_path):
    db = open_db(f"file://{tmp_path}/Data.fs")
    pm = make_plugin_manager(load_entry_points=False)
    try:
        with connection_scope(db) as (tm, connection):
            with tm:
                install_database(server_root(connection), pm,
                                 Database("memos", {"ru": "Записки"}, "memos", DESIGN))
            with tm:
                database = server_root(connection).get_database("memos")
                writer = Writer(pm, "test", tm)
                for n in range(30):
                    writer.create(database, {"Form": "Memo", "Dept": "ЖКХ", "Subject": f"Записка {n:02}"})
            with tm:  # the worker applies the first thirty: the trees have branches now
                journal.apply(catalog.catalog_of(database))

            with tm:
                writer.create(database, {"Form": "Memo", "Dept": "ЖКХ", "Subject": "Новая записка",
                                         "Tags": ["срочно"]})
            written = _classes_of_last_transaction(db)
            assert written.count("_Entry") == 1
            assert not {"_Leaf", "_Counts", "_Branch"} & set(written), written
            saved = db.storage.lastTransaction()

            tm.begin()  # a reader sees the save at once, applying the entry itself ...
            assert journal.pending(catalog.catalog_of(database)) == 1
            assert "Новая записка" in _subjects(database)
            tm.abort()  # ... and, as every reading request, commits nothing
            assert db.storage.lastTransaction() == saved

            settings = parse_settings({"zodbconn.uri": "memory://", "domus.var_dir": str(tmp_path / "var")})
            worker = Worker(db, pm, settings)
            try:
                assert worker.run_once()
            finally:
                worker.stop()
            moved = _classes_of_last_transaction(db)
            assert "_Leaf" in moved and "_Entry" not in moved
            tm.begin()
            assert journal.pending(catalog.catalog_of(database)) == 0
            assert _subjects(database) == sorted([f"Записка {n:02}" for n in range(30)] + ["Новая записка"])
            tm.abort()

            with tm:  # the next save drops the entries the worker applied
                writer.create(database, {"Form": "Letter", "Subject": "не в виде"})
            tm.begin()
            assert list(catalog.catalog_of(database).journal.entries.keys()) == [database.last_seq()]
            tm.abort()
    finally:
        db.close()


def test_a_view_read_through_the_api_is_exact_and_commits_nothing(app, api):
    storage = app.registry.zodb.storage
    api.post_json(DOCS, {"Form": "Memo", "Dept": "Управление ЖКХ", "Subject": "О ремонте кровли"})
    saved = storage.lastTransaction()
    for _ in range(2):
        page = api.get("/api/databases/documents/views/MemosByDept", {"expand": "true"}).json
        assert [row["Subject"] for row in page["rows"] if "@unid" in row] == ["О ремонте кровли"]
    assert storage.lastTransaction() == saved


def test_without_a_worker_a_save_applies_the_journal_once_too_many_saves_wait(monkeypatch, tmp_path):
    monkeypatch.setattr(journal, "MAX_WAITING", 5)
    db = open_db(f"file://{tmp_path}/Data.fs")
    pm = make_plugin_manager(load_entry_points=False)
    try:
        with connection_scope(db) as (tm, connection):
            with tm:
                database = install_database(server_root(connection), pm,
                                            Database("memos", {"ru": "Записки"}, "memos", DESIGN))
            writer = Writer(pm, "test", tm)
            waiting = []
            for n in range(12):
                with tm:
                    writer.create(database, {"Form": "Memo", "Dept": "ЖКХ", "Subject": f"Записка {n:02}"})
                waiting.append(journal.pending(catalog.catalog_of(database)))
            assert waiting[:6] == [1, 2, 3, 4, 5, 0]  # the save past five waiting ones applied them all
            assert max(waiting) <= 5
            tm.begin()
            index = catalog.catalog_of(database).indexes["ByDept"]
            assert len(index.entries) == 12 - waiting[-1]  # what is in the trees, before a read
            assert _subjects(database) == [f"Записка {n:02}" for n in range(12)]
            tm.abort()
    finally:
        db.close()
