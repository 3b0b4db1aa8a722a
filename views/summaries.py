"""Document summaries for view builds: every document's view-relevant state, packed in chunks.

Building a view reads every document.  Read one by one from ZODB, each costs
two object loads (the document and its current revision), about 100 µs: four
minutes for a million documents.  Domino keeps a document's "summary" apart
for the same reason.  Here the server's worker copies each change's state
(items as JSON, dates, parent, readers, conflict mark) into chunks of
``CHUNK`` sequence numbers, so a build reads a thousand summaries per load.
A chunk is written once, when the feed has passed its last number: a chunk
rewritten as it filled would cost a busy server a rewrite per round and a
quiet one a rewrite per save.

A save never writes here: the log is derived data, behind the feed by at
most one chunk.  A build reads a change's summary from the log when the log
has reached it and loads the document otherwise.  A summary is
found by the change's sequence number, and the feed keeps only each
document's latest change, so a summary superseded by a later save is never
read again (it stays in its chunk, a few hundred bytes, until the chunk is
compacted).
"""
from __future__ import annotations

import json
import marshal

from BTrees.IOBTree import IOBTree
from persistent import Persistent

from views.index import State
from views.ordered import MARSHAL_VERSION

CHUNK = 1024  # changes per chunk: one load serves a thousand documents of a build


class _Chunk(Persistent):
    """Summaries of the changes ``n * CHUNK .. (n + 1) * CHUNK - 1``, by sequence number."""

    def __init__(self) -> None:
        self.entries: dict[int, tuple] = {}

    def __getstate__(self) -> bytes:
        return marshal.dumps(self.entries, MARSHAL_VERSION)

    def __setstate__(self, state: bytes) -> None:
        self.entries = marshal.loads(state)


def summary_of(document, revision=None) -> tuple:
    """What a view may read of ``document`` now, or at ``revision`` (as ``views.index.state_of``),
    as plain data."""
    current = revision if revision is not None else document.current()
    return (document.unid, current.rev, document.created, current.timestamp, current.parent_unid,
            current.deleted, tuple(sorted(document.readers)) if document.readers else None,
            len(document.tree) > 1 and bool(document.conflicts()),
            current.items_json)


def state_from(summary: tuple) -> State:
    *head, items_json = summary
    return State(*head, json.loads(items_json))


class SummaryLog(Persistent):
    def __init__(self) -> None:
        self.chunks = IOBTree()  # chunk number -> _Chunk
        self.through = 0  # every change up to this sequence number has its summary here

    def follow(self, database, chunks: int = 1) -> bool:
        """Summarise up to ``chunks`` complete chunks after ``through``; False once none is left."""
        for _ in range(chunks):
            number = (self.through + 1) // CHUNK
            last = (number + 1) * CHUNK - 1
            if last > database.last_seq():
                return False
            chunk = _Chunk()
            for seq, unid in database.feed_after(self.through):
                if seq > last:
                    break
                chunk.entries[seq] = summary_of(database.documents[unid])
            self.chunks[number] = chunk
            self.through = last
        return True

    def state(self, seq: int) -> State | None:
        """The document's state as of change ``seq``, if the log has reached it."""
        if seq > self.through:
            return None
        chunk = self.chunks.get(seq // CHUNK)
        summary = chunk.entries.get(seq) if chunk is not None else None
        return state_from(summary) if summary is not None else None
