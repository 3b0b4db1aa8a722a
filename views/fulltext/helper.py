"""The indexer's helper process: full-text indexing off the server's request threads.

Reading attachments, analysing words and writing Whoosh segments is pure
Python: in the server's process it would hold the GIL against the request
threads (a replication's target spent two thirds of its CPU there).  So the
worker only gathers each round's batch (``views.fulltext.indexing.gather``,
which needs the database) and hands it to this process, which applies it
(``index_changes``, the same function the worker runs without a helper) and
answers the generation's new checkpoint.  The worker does not wait for the
answer: its next rounds serve the other consumers (the views' journal must
not wait for full text) and hand over the next batch once this one is done.
The process runs at a lower priority (``domus.fulltext_nice``), so on a busy
machine the requests win and the index catches up when a core is idle — as
Domino's Update task is a server task of its own.

The process is started on the first batch, by ``spawn`` (a fork of a threaded
server could inherit a lock another thread holds), and is a daemon.  It ends
when the worker stops (``IndexHelper.stop``), when its pipe closes, or when it
sees that the server that started it is gone.  If it dies (killed, out of
memory), the batch fails, the worker hands it over again at a later round,
which starts a new helper; applying a batch twice does no harm.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import traceback
from pathlib import Path

from views.fulltext.index import Generation
from views.fulltext.indexing import Batch, index_changes

log = logging.getLogger(__name__)
PARENT_CHECK_SECONDS = 2.0  # how often an idle helper makes sure its server still runs
STOP_SECONDS = 5.0  # how long ``stop`` waits for the helper to end by itself


class HelperFailed(RuntimeError):
    """The helper process could not apply a batch (it died, or the batch raised there)."""


class IndexHelper:
    """The server side of the helper process: one per indexer, started on first use."""

    def __init__(self, niceness: int = 10) -> None:
        self.niceness = niceness
        self._process = None
        self._connection = None
        self._lock = threading.Lock()  # one batch at a time through the pipe
        self._busy = False

    @property
    def pid(self) -> int | None:
        """The running helper's process id, None before the first batch or after ``stop``."""
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    @property
    def busy(self) -> bool:
        """A batch was handed over and its answer not yet taken (``idle``)."""
        return self._busy

    def submit(self, batch: Batch) -> None:
        """Hand ``batch`` to the helper process (starting it if it is not running) and return at once.

        The worker does not wait for it: its next rounds go on with the other consumers (the
        views' journal above all) and ask ``idle`` before handing over the next batch.
        """
        with self._lock:
            if self._busy:
                raise RuntimeError("the full-text helper is still applying the previous batch")
            if self._process is None or not self._process.is_alive():
                self._end()
                self._start()
            try:
                self._connection.send(batch)
            except OSError as error:
                code = self._end()
                raise HelperFailed(f"the full-text helper process ended (exit code {code}); "
                                   "the batch is retried by a new one") from error
            self._busy = True

    def idle(self, timeout: float | None = 0) -> bool:
        """True once no batch is being applied, waiting up to ``timeout`` seconds (None: until then).

        Raises ``HelperFailed`` if the last batch failed or the process died with it: the
        indexer's checkpoint has not moved, so the next round hands the batch over again.
        """
        with self._lock:
            if not self._busy:
                return True
            try:
                if not self._connection.poll(timeout):
                    return False  # still at work (a dead process's pipe polls as readable)
                done, answer, records = self._connection.recv()
            except (EOFError, OSError) as error:
                self._busy = False
                code = self._end()
                raise HelperFailed(f"the full-text helper process ended (exit code {code}); "
                                   "the batch is retried by a new one") from error
            self._busy = False
        for name, level, message in records:  # into the server's log, as if logged here
            logging.getLogger(name).log(level, "%s", message)
        if not done:
            raise HelperFailed(f"the full-text helper could not apply a batch:\n{answer}")
        return True

    def stop(self) -> None:
        """End the helper: it leaves when its pipe closes, and is terminated if it does not."""
        self._end()

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        mine, theirs = context.Pipe()
        process = context.Process(target=serve, args=(theirs, self.niceness, os.getpid()),
                                  name="domus-fulltext", daemon=True)
        process.start()
        theirs.close()
        self._process, self._connection = process, mine
        log.info("full text: helper process %d started (nice %+d)", process.pid, self.niceness)

    def _end(self) -> int | None:
        process, connection = self._process, self._connection
        self._process = self._connection = None
        self._busy = False
        if connection is not None:
            connection.close()
        if process is None:
            return None
        process.join(STOP_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()
        code = process.exitcode
        process.close()
        return code


class _Collector(logging.Handler):
    """The helper's warnings (an unreadable attachment, …), sent with the answer to the server,
    whose logging is configured, and logged there under the same logger's name."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))

    def take(self) -> list[tuple[str, int, str]]:
        taken, self.records = self.records, []
        return taken


def serve(connection, niceness: int, parent: int) -> None:
    """The helper's loop: a batch in; ``(True, checkpoint, warnings)`` or ``(False, traceback,
    warnings)`` out."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    if niceness:
        os.nice(niceness)
    records = _Collector()
    logging.getLogger().addHandler(records)
    logging.getLogger().setLevel(logging.WARNING)
    generations: dict[Path, Generation] = {}  # the generation each database folder writes to
    while True:
        if not connection.poll(PARENT_CHECK_SECONDS):
            if os.getppid() != parent:
                return  # the server is gone without closing the pipe
            continue
        try:
            batch = connection.recv()
        except (EOFError, OSError):
            return
        path = Path(batch.path)
        generation = generations.get(path.parent)
        if generation is None or generation.path != path:
            generation = generations[path.parent] = Generation(path)
        try:
            answer = (True, index_changes(generation, batch))
        except Exception:
            generations.pop(path.parent, None)  # opened afresh next time (deleted, replaced, …)
            answer = (False, traceback.format_exc())
        try:
            connection.send((*answer, records.take()))
        except OSError:
            return
