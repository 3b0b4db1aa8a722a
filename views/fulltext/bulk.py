"""Writing a whole index at once (``domus reindex``): Whoosh's segment files, without its pool,
on every core.

Whoosh's writer puts every posting of every document into one pool of
``(field, term, document, weight, value)`` tuples, sorts them, and then, for
each, looks the field's length up again in the column it has just written:
some ten microseconds a posting, and a letter of a hundred words has some
seventy.  A rebuild needs none of that generality: documents arrive in
order and nothing is deleted or merged, so ``SegmentBuilder`` gathers the
postings per term as they come and hands them to Whoosh's codec, term by
term, when the segment is complete.  The files are Whoosh's own; reading
them is unchanged.

Indexing is pure Python, so one process uses one core.  ``BulkWriter``
reads nothing itself: the caller (reading the database) hands it
documents, every ``SEGMENT_DOCS`` of them are built into a segment by one
of ``PROCESSES`` worker processes, and the last, partial segment by the
caller's own process while the workers finish.  Segments are not merged
(merging costs what writing does), which also bounds the postings a process
holds (some 200 MB for 25,000 letters).  The workers are started only for a
database of more than one segment, by ``spawn``: a forked copy of a
threaded server could inherit a lock held by another thread.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from whoosh import index as whoosh_index
from whoosh.codec import default_codec
from whoosh.util.numeric import byte_to_length, length_to_byte

SEGMENT_DOCS = 25_000
PROCESSES = 2


class SegmentBuilder:
    """One new segment of an index: documents in, the segment's files and descriptor out."""

    def __init__(self, index) -> None:
        codec = default_codec()
        self.schema = index.schema
        self.segment = codec.new_segment(index.storage, index.indexname)
        self._perdoc = codec.per_document_writer(index.storage, self.segment)
        self._fields = codec.field_writer(index.storage, self.segment)
        self._docnum = 0
        self._postings: dict[str, dict[bytes, list[tuple[int, float, bytes]]]] = {}
        self._lengths: dict[str, dict[int, int]] = {}  # field -> document -> length, as stored

    def add(self, fields: dict[str, object]) -> None:
        """Index one document (its fields as ``document_fields`` gives them)."""
        schema, perdoc, docnum = self.schema, self._perdoc, self._docnum
        perdoc.start_doc(docnum)
        for name, value in fields.items():
            field = schema[name]
            length = 0
            if field.indexed:
                terms = self._postings.setdefault(name, {})
                for term, frequency, weight, encoded in field.index(value):
                    length += frequency
                    held = terms.get(term)
                    if held is None:
                        terms[term] = [(docnum, weight, encoded)]
                    else:
                        held.append((docnum, weight, encoded))
                if field.scorable and length:
                    # As the column will hold it: block statistics must agree with what scoring reads.
                    self._lengths.setdefault(name, {})[docnum] = byte_to_length(length_to_byte(length))
                else:
                    length = 0
            perdoc.add_field(name, field, value if field.stored else None, length)
            if field.column_type:
                perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        perdoc.finish_doc()
        self._docnum += 1

    def finish(self):
        """Write the postings and close the files; the segment, for the index's table of contents."""
        out = self._fields
        for name in sorted(self._postings):  # the codec wants fields, then terms, in order
            terms, lengths = self._postings[name], self._lengths.get(name, {})
            out.start_field(name, self.schema[name])
            for term in sorted(terms):
                out.start_term(term)
                for docnum, weight, encoded in terms[term]:
                    out.add(docnum, weight, encoded, lengths.get(docnum, 0))
                out.finish_term()
            out.finish_field()
        out.close()
        self._perdoc.close()
        self.segment.set_doc_count(self._docnum)
        return self.segment


def build_segment(folder: str, documents: list[dict[str, object]]):
    """Write ``documents`` as a new segment of the index in ``folder`` (in a worker process)."""
    builder = SegmentBuilder(whoosh_index.open_dir(folder))
    for fields in documents:
        builder.add(fields)
    return builder.finish()


class BulkWriter:
    """Adds documents to an index, ``SEGMENT_DOCS`` a segment, built on ``PROCESSES`` cores.

    It holds the index's write lock from the start and adds the new segments to the index's
    table of contents in ``commit``; ``cancel`` stops the workers and leaves the index as it was.
    """

    def __init__(self, index, segment_docs: int = SEGMENT_DOCS, processes: int = PROCESSES) -> None:
        self.index = index
        self.segment_docs = segment_docs
        self.processes = processes
        self._writer = index.writer()
        self._pending: list[dict[str, object]] = []
        self._building: list[Future] = []
        self._pool: ProcessPoolExecutor | None = None

    def add_document(self, **fields) -> None:
        self._pending.append(fields)
        if len(self._pending) >= self.segment_docs:
            self._hand_over()

    def _hand_over(self) -> None:
        """Give the pending documents to a worker, waiting while every worker has one waiting."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.processes,
                                             mp_context=multiprocessing.get_context("spawn"))
        while sum(not future.done() for future in self._building) > self.processes:
            wait(self._building, return_when=FIRST_COMPLETED)
        self._building.append(self._pool.submit(build_segment, self.index.storage.folder,
                                                self._pending))
        self._pending = []

    def commit(self) -> None:
        """Build the last segment here, wait for the workers, and make the segments part of the index."""
        last = []
        if self._pending:
            builder = SegmentBuilder(self.index)
            for fields in self._pending:
                builder.add(fields)
            last, self._pending = [builder.finish()], []
        segments = [future.result() for future in self._building] + last  # in the feed's order
        self._stop_workers()
        self._writer.segments.extend(segments)
        self._writer.commit(merge=False)  # nothing added through it: it writes the new table

    def cancel(self) -> None:
        self._stop_workers()
        self._pending = []
        self._writer.cancel()

    def _stop_workers(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        self._building = []
