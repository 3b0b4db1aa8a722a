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

The worker only gathers a batch (``views.fulltext.indexing``) and hands it to
the helper process (``views.fulltext.helper``, ``domus.fulltext_process``),
which applies it at a lower priority while the worker goes on: indexing never
competes with the request threads for the GIL, nor holds up the worker's
other consumers.  With the helper switched off, the worker applies it itself.
"""
from __future__ import annotations

import hashlib
import logging
import socket

from zope.interface import implementer

from core.interfaces import IClosingConsumer
from core.worker import resume_from
from views.fulltext.helper import IndexHelper
from views.fulltext.index import IndexStore
from views.fulltext.indexing import gather, index_changes

log = logging.getLogger(__name__)


@implementer(IClosingConsumer)
class FullTextIndexer:
    batch_size = 1000

    def __init__(self, store: IndexStore, helper: IndexHelper | None = None) -> None:
        self.store = store
        self.helper = helper  # None: the worker applies the batches itself
        place = hashlib.sha1(str(store.root).encode()).hexdigest()[:10]
        self.name = f"fulltext@{socket.gethostname()}:{place}"

    def wants(self, database) -> bool:
        """Unless the helper still applies the last batch; first makes sure a generation serves and
        the worker starts from its checkpoint (a failed batch is then simply handed over again)."""
        if self.helper is not None and not self.helper.idle():
            return False
        generation = self.store.current(database.name)
        if generation is None:
            generation = self.store.start(database.name, complete=database.last_seq() == 0)
            log.info("full text: building the index of %s from the beginning", database.name)
        resume_from(database, self.name, generation.checkpoint().seq)
        return True

    def process(self, database, changes) -> None:
        generation = self.store.current(database.name)
        if generation is None:  # deleted between wants() and now: the next round starts anew
            raise RuntimeError(f"the full-text index of {database.name} disappeared")
        batch = gather(generation, database, changes, self.batch_size)
        if self.helper is None:
            index_changes(generation, batch)
        else:
            self.helper.submit(batch)

    def close(self) -> None:
        """End the helper process (the worker stops)."""
        if self.helper is not None:
            self.helper.stop()
