"""Applying a batch of changes to a generation of an index: the indexer's one code path.

The work is in two halves, so that the costly one can run in another process
(``views.fulltext.helper``):

- ``gather`` runs in the server's worker, which holds the database: for each
  change it takes what the index needs of the document as it is now — its
  fields but for its attachments' text (``schema.item_fields``) and the
  attachments to read, by the path of their committed blob files — or notes
  that the document is deleted.  It reads no file and analyses no word.
- ``index_changes`` reads the attachments' text, analyses the words, writes
  the batch to the generation in one Whoosh commit, and then writes the
  generation's checkpoint.  It needs no database, only the batch, so the
  helper process runs it as it is; without the helper, the worker does.

A live document replaces its entry and a deleted one removes it, so applying
a batch twice (after a crash between the commit and the worker's checkpoint,
or a helper killed mid-way) does no harm.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from core.text import bad_character, scrub
from views.fulltext.extract import AttachedFile, file_texts, files_to_read
from views.fulltext.index import Checkpoint, Generation
from views.fulltext.schema import item_fields, with_attachment_texts

WRITER_MEMORY_MB = 128
MERGE_FACTOR = 10  # segments of one size class merged together
TIERS = (100, 1_000, 10_000)  # size classes in documents; bigger segments are left to reindex


@dataclass(frozen=True)
class Entry:
    """What the index needs of one changed document; ``fields`` is None if it is deleted."""

    unid: str
    fields: dict[str, object] | None
    files: tuple[AttachedFile, ...] = ()


@dataclass(frozen=True)
class Batch:
    """One round's changes of one database, for one generation (by its folder)."""

    path: str
    entries: list[Entry] = field(default_factory=list)
    last: int = 0  # the feed sequence of the last change
    caught_up: bool = False  # the batch reaches the end of the feed


def entry_of(database, unid: str) -> Entry:
    """What the index needs of ``unid`` as it is now (read inside the worker's transaction)."""
    if bad_character(unid) is not None:  # stored by an older version: unsearchable until repaired
        return Entry(scrub(unid), None)
    document = database.documents.get(unid)
    if document is None or document.deleted:
        return Entry(unid, None)
    return Entry(unid, item_fields(document), tuple(files_to_read(document.current())))


def fields_of(database, unid: str) -> dict[str, object] | None:
    """The index fields of a document as it is now, None if it is deleted (or was never there)."""
    return complete_fields(entry_of(database, unid))


def complete_fields(entry: Entry) -> dict[str, object] | None:
    """The entry's fields with its attachments' text read and added."""
    if entry.fields is None:
        return None
    return with_attachment_texts(entry.fields, file_texts(list(entry.files)))


def gather(generation: Generation, database, changes, batch_size: int) -> Batch:
    """The batch of ``changes`` (at most ``batch_size`` of ``database``'s feed) for ``generation``."""
    last = changes[-1].seq
    return Batch(str(generation.path), [entry_of(database, change.unid) for change in changes],
                 last, len(changes) < batch_size or last >= database.last_seq())


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


def apply(writer, entries: list[Entry]) -> None:
    """Bring the index entries of the changed documents to their present state.

    Old entries are deleted through one searcher for the whole batch (Whoosh's
    ``update_document`` opens one per document, which costs more than the
    indexing itself); the feed names each document once, so a batch never adds
    a document twice.
    """
    with writer.searcher() as searcher:
        for entry in entries:
            writer.delete_by_term("unid", entry.unid, searcher=searcher)
            fields = complete_fields(entry)
            if fields is not None:
                writer.add_document(**fields)


def index_changes(generation: Generation, batch: Batch) -> Checkpoint:
    """Apply ``batch`` to ``generation`` in one commit; save and return its new checkpoint."""
    if Path(batch.path) != generation.path:
        raise ValueError(f"a batch for {batch.path} given to the generation {generation.path}")
    before = generation.checkpoint()
    writer = generation.writer(limitmb=WRITER_MEMORY_MB)
    try:
        apply(writer, batch.entries)
        writer.commit(mergetype=merge_tiers)
    except BaseException:
        writer.cancel()
        raise
    after = Checkpoint(batch.last, before.complete or batch.caught_up)
    generation.save_checkpoint(after)
    return after
