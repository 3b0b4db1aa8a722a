"""The indexer: a changes-feed consumer that keeps each database's index in step.

The server's worker hands it the changes after its checkpoint, a batch at a
time; one batch is one Whoosh commit (a commit per document would be far too
slow), so under a steady load the index trails the database by about one
worker round.  A change is applied from the document's state at the time of
the round: a live document replaces its entry, a deletion stub removes it, so
applying a change twice does no harm.

Each server keeps its own indexes, so its checkpoint in the database is
named after the server's host and index folder; and because the generation's
own checkpoint file is what its commits really hold (``views.fulltext.index``),
``wants`` sets the worker's checkpoint to it before every round.  An index
folder deleted under a running server therefore makes the next round start a
new generation from the beginning of the feed, and searches answer "index
rebuilding" until it has caught up.
"""
from __future__ import annotations

import hashlib
import logging
import socket

from zope.interface import implementer

from core.interfaces import IChangesConsumer
from core.worker import checkpoints
from views.fulltext.extract import attachment_texts
from views.fulltext.index import Checkpoint, Generation, IndexStore
from views.fulltext.schema import document_fields

log = logging.getLogger(__name__)
WRITER_MEMORY_MB = 128
MERGE_FACTOR = 10  # segments of one size class merged together
TIERS = (100, 1_000, 10_000)  # size classes in documents; bigger segments are left to reindex


def merge_tiers(writer, segments):
    """Whoosh merge policy of the indexer: merge ten segments of a size class (<100, <1,000,
    <10,000 documents) once there are ten, never bigger ones.

    Each round commits a small segment; Whoosh's default policy now and then merges
    everything, which holds the indexer for seconds and breaks the lag bound.  Here a
    round merges at most ten segments of under 10,000 documents; an index that has grown
    by incremental writes keeps a few big segments until ``domus reindex`` writes it anew.
    """
    from whoosh.reading import SegmentReader

    low = 0
    for high in TIERS:
        tier = [segment for segment in segments if low <= segment.doc_count_all() < high]
        if len(tier) >= MERGE_FACTOR:
            for segment in tier:
                reader = SegmentReader(writer.storage, writer.schema, segment)
                writer.add_reader(reader)
                reader.close()
            return [segment for segment in segments if segment not in tier]
        low = high
    return segments


def fields_of(database, unid: str) -> dict[str, object] | None:
    """The index fields of a document as it is now, None if it is deleted (or was never there)."""
    document = database.documents.get(unid)
    if document is None or document.deleted:
        return None
    return document_fields(document, attachment_texts(document.current()))


def apply(writer, database, changes) -> None:
    """Bring the index entries of the changed documents to their present state.

    Old entries are deleted through one searcher for the whole batch (Whoosh's
    ``update_document`` opens one per document, which costs more than the
    indexing itself); the feed names each document once, so a batch never adds
    a document twice.
    """
    with writer.searcher() as searcher:
        for change in changes:
            writer.delete_by_term("unid", change.unid, searcher=searcher)
            fields = fields_of(database, change.unid)
            if fields is not None:
                writer.add_document(**fields)


def index_changes(generation: Generation, database, changes, batch_size: int) -> Checkpoint:
    """Apply ``changes`` of ``database`` to ``generation`` in one commit; return its new checkpoint."""
    before = generation.checkpoint()
    writer = generation.writer(limitmb=WRITER_MEMORY_MB)
    try:
        apply(writer, database, changes)
        writer.commit(mergetype=merge_tiers)
    except BaseException:
        writer.cancel()
        raise
    last = changes[-1].seq
    caught_up = len(changes) < batch_size or last >= database.last_seq()
    after = Checkpoint(last, before.complete or caught_up)
    generation.save_checkpoint(after)
    return after


@implementer(IChangesConsumer)
class FullTextIndexer:
    batch_size = 1000

    def __init__(self, store: IndexStore) -> None:
        self.store = store
        place = hashlib.sha1(str(store.root).encode()).hexdigest()[:10]
        self.name = f"fulltext@{socket.gethostname()}:{place}"

    def wants(self, database) -> bool:
        """Always; first makes sure a generation serves and the worker starts from its checkpoint."""
        generation = self.store.current(database.name)
        if generation is None:
            generation = self.store.start(database.name, complete=database.last_seq() == 0)
            log.info("full text: building the index of %s from the beginning", database.name)
        mine = generation.checkpoint().seq
        table = checkpoints(database)
        if table.get(self.name, 0) != mine:
            table[self.name] = mine
        return True

    def process(self, database, changes) -> None:
        generation = self.store.current(database.name)
        if generation is None:  # deleted between wants() and now: the next round starts anew
            raise RuntimeError(f"the full-text index of {database.name} disappeared")
        index_changes(generation, database, changes, self.batch_size)
