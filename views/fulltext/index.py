"""The full-text indexes of one server on disk: one Whoosh index per database.

The index is derived data (DESIGN.md): each app server keeps its own, under
``domus.fulltext_dir`` (default ``fulltext`` in the data folder), and can
always rebuild it from the database.  A database's folder holds
*generations* — complete Whoosh indexes in folders of their own — and a
small ``current`` file naming the one that serves.  A rebuild fills a new
generation while the current one keeps answering, then replaces the name in
one atomic rename; deleting the database's folder makes the next round of
the indexer start a new generation from the beginning of the feed.

Each generation keeps its own checkpoint (``checkpoint.json``: the last
feed sequence its commits hold, and whether it has ever caught up with the
feed), written after the Whoosh commit.  The indexer trusts this file over
the worker's checkpoint in the database, so a generation that is replaced,
deleted or ahead after a crash is always brought exactly up to date.
"""
from __future__ import annotations

import json
import os
import shutil
import threading
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from whoosh import index as whoosh_index

from views.fulltext.schema import SCHEMA_VERSION, make_schema
from views.fulltext.scoring import OwnDocument

CURRENT = "current"
CHECKPOINT = "checkpoint.json"


def fulltext_dir(settings) -> Path:
    """Where this server keeps its indexes: ``domus.fulltext_dir`` or ``fulltext`` under var."""
    chosen = str(settings.get("domus.fulltext_dir") or "").strip()
    return Path(chosen or Path(str(settings.get("domus.var_dir", "var"))) / "fulltext").resolve()


@dataclass(frozen=True)
class Checkpoint:
    seq: int  # the last feed sequence this generation's commits hold
    complete: bool  # has it ever caught up with the feed (False while a first build runs)
    schema: int = SCHEMA_VERSION  # the schema its documents were indexed with


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    temporary.write_text(text, "utf-8")
    os.replace(temporary, path)


class Generation:
    """One complete Whoosh index of one database, and its checkpoint."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._index = None

    @property
    def index(self):
        if self._index is None:
            self._index = whoosh_index.open_dir(str(self.path))
        return self._index

    def exists(self) -> bool:
        return (self.path / CHECKPOINT).exists()

    def checkpoint(self) -> Checkpoint:
        try:
            raw = json.loads((self.path / CHECKPOINT).read_text("utf-8"))
            # Indexes written before the schema had a version have none: they are version 1.
            return Checkpoint(int(raw["seq"]), bool(raw["complete"]), int(raw.get("schema", 1)))
        except (OSError, ValueError, KeyError, TypeError):
            return Checkpoint(0, False)

    def save_checkpoint(self, checkpoint: Checkpoint) -> None:
        _write_atomically(self.path / CHECKPOINT, json.dumps(
            {"seq": checkpoint.seq, "complete": checkpoint.complete, "schema": checkpoint.schema}))

    def writer(self, **options):
        return self.index.writer(**options)


class IndexStore:
    """The indexes of every database under one folder; one object per server process.

    Searchers are kept per thread (a request thread reuses its searcher and
    refreshes it when the indexer has committed), so searches never wait for
    each other or for the indexer.  They score by ``OwnDocument``: no score
    depends on other documents, hidden ones included.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._local = threading.local()
        self._generations: dict[Path, Generation] = {}
        self._lock = threading.Lock()

    def folder(self, database_name: str) -> Path:
        return self.root / database_name

    def current(self, database_name: str) -> Generation | None:
        """The serving generation, None if there is none (never built, its folder was deleted, or
        it was built with another schema: then the indexer builds a new one from the beginning,
        and searches answer "index rebuilding" meanwhile, as after a deletion)."""
        folder = self.folder(database_name)
        try:
            name = (folder / CURRENT).read_text("utf-8").strip()
        except OSError:
            return None
        if not name or not (folder / name / CHECKPOINT).exists():
            return None
        with self._lock:
            generation = self._generations.get(folder / name)
            if generation is None:
                generation = self._generations[folder / name] = Generation(folder / name)
        return generation if generation.checkpoint().schema == SCHEMA_VERSION else None

    def new_generation(self, database_name: str, complete: bool) -> Generation:
        """An empty generation, not yet serving."""
        folder = self.folder(database_name)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"g{time.time_ns():x}"
        path.mkdir()
        whoosh_index.create_in(str(path), make_schema())
        generation = Generation(path)
        generation.save_checkpoint(Checkpoint(0, complete))
        return generation

    def serve(self, database_name: str, generation: Generation) -> None:
        """Make ``generation`` the serving one and remove the generations it replaces."""
        folder = self.folder(database_name)
        _write_atomically(folder / CURRENT, generation.path.name)
        for other in folder.iterdir():
            # A generation still being written by another process is newer: it stays.
            if other.is_dir() and other.name.startswith("g") and other.name < generation.path.name:
                shutil.rmtree(other, ignore_errors=True)

    def start(self, database_name: str, complete: bool) -> Generation:
        """A new, empty serving generation (first use, or after the folder was deleted)."""
        generation = self.new_generation(database_name, complete)
        self.serve(database_name, generation)
        return generation

    def searcher(self, generation: Generation):
        """This thread's searcher of ``generation``, up to date with its last commit."""
        cache = self._local.__dict__.setdefault("searchers", {})
        path, held = cache.get(generation.path.parent, (None, None))
        if path != generation.path:
            if held is not None:
                held.close()  # this thread's own searcher of a replaced generation
            held = generation.index.searcher(weighting=OwnDocument())
        else:
            held = held.refresh()  # shares the unchanged segments' readers: the old one is not closed
        cache[generation.path.parent] = (generation.path, held)
        return held


@cache
def store_at(root: Path) -> IndexStore:
    """The one store of a folder in this process, shared by the API, the indexer and commands."""
    return IndexStore(root)
