"""The index on disk across restarts, lost commits and rebuilds: never a change missed or doubled."""
from __future__ import annotations

from functools import partial

import pytest

from core.root import server_root
from core.worker import checkpoints
from tests.conftest import DOCS
from tests.fulltext.conftest import SEARCH, Indexer, search
from views.fulltext import commands
from views.fulltext.bulk import BulkWriter
from views.fulltext.consumer import FullTextIndexer
from views.fulltext.index import Checkpoint
from views.fulltext.schema import SCHEMA_VERSION


def _save_many(api, count: int, word: str = "кровля") -> list[str]:
    return [api.post_json(DOCS, {"Form": "Memo", "Subject": f"{word} номер {n}"}).json["@unid"]
            for n in range(count)]


def _indexed_documents(app) -> int:
    generation = app.registry.fulltext.current("documents")
    with generation.index.searcher() as searcher:
        return searcher.doc_count()


def _spy(indexer: Indexer) -> list[int]:
    """Record how many changes each round hands the full-text consumer."""
    seen: list[int] = []
    consumer = next(c for c in indexer.worker.consumers if isinstance(c, FullTextIndexer))
    original = consumer.process

    def process(database, changes):
        if database.name == "documents":
            seen.append(len(changes))
        return original(database, changes)

    consumer.process = process
    return seen


def _with_database(app, change) -> None:
    connection = app.registry.zodb.open()
    try:
        change(server_root(connection).get_database("documents"))
        connection.transaction_manager.commit()
    finally:
        connection.close()


def test_a_restarted_indexer_resumes_from_its_checkpoint(app, api):
    _save_many(api, 5)
    first = Indexer(app)
    first()
    first.close()
    path = app.registry.fulltext.current("documents").path
    _save_many(api, 3, "фасад")
    second = Indexer(app)  # a new worker with a new consumer: what a restarted server has
    seen = _spy(second)
    second()
    second.close()
    assert seen == [3]
    assert app.registry.fulltext.current("documents").path == path
    assert search(api, "кровля")["total"] == 5 and search(api, "фасад")["total"] == 3


def test_a_checkpoint_lost_with_its_transaction_replays_nothing_twice(app, api, index_now):
    _save_many(api, 4)
    index_now()
    consumer_name = next(c.name for c in index_now.worker.consumers if isinstance(c, FullTextIndexer))
    # The Whoosh commit happened but the worker's transaction did not: its checkpoint is behind.
    _with_database(app, lambda database: checkpoints(database).__setitem__(consumer_name, 0))
    seen = _spy(index_now)
    index_now()
    assert seen == [] and _indexed_documents(app) == 4


def test_a_generation_behind_the_worker_is_brought_up_to_date(app, api, index_now):
    _save_many(api, 4)
    index_now()
    generation = app.registry.fulltext.current("documents")
    generation.save_checkpoint(Checkpoint(0, True))  # as if an older generation came back
    seen = _spy(index_now)
    index_now()
    assert seen == [4] and _indexed_documents(app) == 4
    assert search(api, "кровля")["total"] == 4


def test_reindex_serves_the_old_index_until_the_new_one_is_complete(app, api, index_now,
                                                                     monkeypatch):
    unids = _save_many(api, 6)
    index_now()
    store = app.registry.fulltext
    old = store.current("documents").path
    monkeypatch.setattr(commands, "BATCH", 2)
    during: list[int] = []
    written: list[str] = []

    def progress(count: int) -> None:
        during.append(search(api, "кровля")["total"])
        if not written:  # while the rebuild runs: a new document, and an edit of one it has read
            written.extend(_save_many(api, 1, "фасад"))
            first = api.get(f"{DOCS}/{unids[0]}").json
            api.put_json(f"{DOCS}/{unids[0]}", {**first, "Subject": "кровля, исправлено"})

    assert commands.rebuild(app.registry.zodb, store, "documents", progress) == 6  # the feed at start
    assert during == [6, 6, 6]  # the old index answered all along
    new = store.current("documents").path
    assert new != old and not old.exists()
    index_now()  # the indexer applies what was written during the rebuild, once
    assert search(api, "кровля")["total"] == 6 and search(api, "фасад")["total"] == 1
    assert [row["@unid"] for row in search(api, "исправлено")["rows"]] == [unids[0]]
    assert _indexed_documents(app) == 7


def test_reindex_writes_segments_in_worker_processes_that_later_rounds_update(app, api, index_now,
                                                                             monkeypatch):
    unids = _save_many(api, 7)
    api.post_json(DOCS, {"Form": "Memo", "Subject": "фасад", "Pages": 3})
    monkeypatch.setattr(commands, "BulkWriter", partial(BulkWriter, segment_docs=3, processes=2))
    store = app.registry.fulltext
    assert commands.rebuild(app.registry.zodb, store, "documents") == 8
    with store.current("documents").index.searcher() as searcher:
        assert [reader.doc_count() for reader, _ in searcher.reader().leaf_readers()] == [3, 3, 2]
    assert search(api, "кровля", count=1)["total"] == 7  # two segments from workers, one from here
    numbers = [int(row["Subject"].split()[-1]) for row in search(api, "кровля", sort="-Subject")["rows"]]
    assert numbers == sorted(numbers, key=str, reverse=True)
    assert [row["Pages"] for row in search(api, "Pages:3 OR фасад")["rows"]] == [3]
    current = api.get(f"{DOCS}/{unids[0]}").json
    api.put_json(f"{DOCS}/{unids[0]}", {**current, "Subject": "фасад"})
    index_now()  # its old entry, in a worker's segment, is deleted
    assert search(api, "кровля")["total"] == 6 and search(api, "фасад")["total"] == 2
    assert _indexed_documents(app) == 8


def test_an_index_of_an_older_schema_is_rebuilt_and_says_so_meanwhile(app, api, index_now):
    from whoosh import fields
    from whoosh import index as whoosh_index

    _save_many(api, 3)
    store = app.registry.fulltext
    folder = store.folder("documents")
    old = folder / "g0"  # as version 1 wrote it: a field per item, no version in its checkpoint
    old.mkdir(parents=True)
    schema = fields.Schema(unid=fields.ID(stored=True, unique=True), text=fields.TEXT(stored=True),
                           Subject=fields.TEXT())
    with whoosh_index.create_in(str(old), schema).writer() as writer:
        writer.add_document(unid="0" * 32, text="кровля", Subject="кровля")
    (old / "checkpoint.json").write_text('{"seq": 3, "complete": true}')
    (folder / "current").write_text("g0")
    assert store.current("documents") is None
    answer = api.get(SEARCH, params={"q": "кровля"}, status=503).json
    assert answer["error"] == "index_rebuilding"
    index_now()
    generation = store.current("documents")
    assert generation.path != old and not old.exists()
    assert generation.checkpoint() == Checkpoint(3, True, SCHEMA_VERSION)
    assert search(api, "Subject:кровля")["total"] == 3


def test_reindex_of_an_unknown_database_changes_nothing(app):
    from core.exceptions import DatabaseNotFound

    with pytest.raises(DatabaseNotFound):
        commands.rebuild(app.registry.zodb, app.registry.fulltext, "nosuch")
    assert not app.registry.fulltext.folder("nosuch").exists()


def test_small_segments_are_merged_ten_at_a_time(tmp_path):
    from whoosh import index as whoosh_index

    from views.fulltext.indexing import merge_tiers
    from views.fulltext.schema import make_schema

    ix = whoosh_index.create_in(str(tmp_path), make_schema())
    counts = []
    for number in range(25):
        writer = ix.writer()
        writer.add_document(unid=f"u{number}", readers="*", text=f"кровля {number}")
        writer.commit(mergetype=merge_tiers)
        counts.append(len(ix._segments()))
    assert max(counts) == 10 and counts[10:12] == [1, 2]  # ten segments and the new one became one
    with ix.searcher() as searcher:
        assert searcher.doc_count() == 25
