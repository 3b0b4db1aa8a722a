"""``domus reindex DB``: rebuild a database's full-text index from scratch, with a progress bar.

The new index is a new generation (``views.fulltext.index``): a running
server keeps searching the old one until the rebuild is complete, then the
new one serves from the next search on, and the server's indexer brings it
up to date with whatever was written during the rebuild.  The feed is read
a batch per transaction, so the rebuild never holds a huge one; the Whoosh
writer commits once, at the end.
"""
from __future__ import annotations

import sys

from tqdm import tqdm

from core.root import server_root
from core.storage import connection_scope
from views.fulltext.consumer import WRITER_MEMORY_MB, apply
from views.fulltext.index import Checkpoint, fulltext_dir, store_at

BATCH = 1000


def rebuild(db, store, name: str, progress=None) -> int:
    """Build a new generation of ``name``'s index from the whole feed and make it serve."""
    with connection_scope(db) as (tm, connection):
        tm.begin()
        server_root(connection).get_database(name)  # an unknown database stops before anything starts
        tm.abort()
        generation = store.new_generation(name, complete=False)
        writer = generation.writer(limitmb=WRITER_MEMORY_MB)
        seq = indexed = 0
        try:
            while True:
                tm.begin()
                database = server_root(connection).get_database(name)
                changes = database.changes_since(seq, BATCH)
                if changes:
                    apply(writer, database, changes)
                tm.abort()
                connection.cacheMinimize()  # the documents of a batch are not needed again
                if not changes:
                    break
                seq, indexed = changes[-1].seq, indexed + len(changes)
                if progress is not None:
                    progress(len(changes))
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
    generation.save_checkpoint(Checkpoint(seq, True))
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
