"""``domus reindex DB``: rebuild a database's full-text index from scratch, with a progress bar.

The new index is a new generation (``views.fulltext.index``): a running
server keeps searching the old one until the rebuild is complete, then the
new one serves from the next search on.  The rebuild indexes the feed up to
its last sequence when it started, and that sequence is the new
generation's checkpoint: whatever is written during the rebuild (a new
document, or an edit of one already read) is after it, and the server's
indexer applies it once the new generation serves, so no document is
missed or indexed twice.  The feed is read a batch per transaction, so the
rebuild never holds a huge one; the index is written by ``BulkWriter``.
"""
from __future__ import annotations

import sys

from tqdm import tqdm

from core.root import server_root
from core.storage import connection_scope
from views.fulltext.bulk import BulkWriter
from views.fulltext.index import Checkpoint, fulltext_dir, store_at
from views.fulltext.indexing import fields_of

BATCH = 1000


def rebuild(db, store, name: str, progress=None) -> int:
    """Build a new generation of ``name``'s index from the feed and make it serve; return the
    number of documents indexed.  ``progress`` is called with the number of changes read."""
    with connection_scope(db) as (tm, connection):
        tm.begin()
        last = server_root(connection).get_database(name).last_seq()  # an unknown name stops here
        tm.abort()
        generation = store.new_generation(name, complete=False)
        writer = BulkWriter(generation.index)
        seq = indexed = 0
        try:
            while seq < last:
                tm.begin()
                database = server_root(connection).get_database(name)
                changes = [change for change in database.changes_since(seq, BATCH)
                           if change.seq <= last]
                for change in changes:
                    fields = fields_of(database, change.unid)
                    if fields is not None:
                        writer.add_document(**fields)
                        indexed += 1
                tm.abort()
                connection.cacheMinimize()  # the documents of a batch are not needed again
                if not changes:
                    break
                seq = changes[-1].seq
                if progress is not None:
                    progress(len(changes))
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
    generation.save_checkpoint(Checkpoint(last, True))
    store.serve(name, generation)
    return indexed


def cmd_reindex(args, env) -> int:
    db = env.open_db()
    with connection_scope(db) as (tm, connection):
        tm.begin()
        total = server_root(connection).get_database(args.database).last_seq()
        tm.abort()
    store = store_at(fulltext_dir(env.settings))
    with tqdm(total=total, desc=f"reindex {args.database}", unit=" docs", file=sys.stderr,
              disable=None) as bar:
        count = rebuild(db, store, args.database, bar.update)
    print(f"full-text index of {args.database} rebuilt: {count} documents")
    return 0


def register(subparsers) -> None:
    reindex = subparsers.add_parser(
        "reindex", help="rebuild a database's full-text index (searches use the old one meanwhile)")
    reindex.add_argument("database")
    reindex.set_defaults(func=cmd_reindex)
