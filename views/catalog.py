"""The views of one database: their definitions (in the design) and their indexes (beside it).

Each view in ``database.design["views"]`` has a ready index.  A save notes
the document's previous state (its ``views`` annotation remembers which
revision and change its rows came from) and its new one in the journal
(``views.journal``); the worker moves the rows accordingly, and a read
applies whatever the worker has not yet, so a view is never stale.

A new or changed view gets a *pending* index that the server's worker builds
in batches, in feed order, reading states from the summary log
(``views.summaries``), while the old index (if any) keeps serving.  A save of
a document the build has already passed takes its old rows out of the
pending index at once (builds are rare; a save during one pays for it); its
new change lies ahead of the build, which puts the new rows in when it gets
there.  When the build reaches the end of the feed it is exact and replaces
the old index, which it holds every change up to (``ViewIndex.through``):
the journal's later entries are applied to it, its earlier ones are not.
"""
from __future__ import annotations

from datetime import UTC, datetime

from BTrees.OOBTree import OOBTree
from persistent import Persistent

from core.exceptions import NotFound
from views import journal
from views.definition import ViewDefinition, parse_view
from views.index import ViewIndex, state_of
from views.summaries import SummaryLog, summary_of

BUILD_BATCH = 2000
ANNOTATION = "views"  # on each document: the revision and change its rows came from


class Build(Persistent):
    """A pending index and how far its build has come."""

    def __init__(self, index: ViewIndex, total: int) -> None:
        self.index = index
        self.cursor = 0  # the feed sequence number of the last change indexed
        self.done = 0
        self.total = total

    def describe(self) -> dict[str, int]:
        return {"done": self.done, "total": self.total}


class ViewCatalog(Persistent):
    journal: journal.Journal | None = None  # catalogs from before the journal get one at their next save

    def __init__(self) -> None:
        self.indexes = OOBTree()  # view name -> ViewIndex (ready)
        self.builds = OOBTree()  # view name -> Build (pending)
        self.summaries = SummaryLog()
        self.journal = journal.Journal()


def catalog_of(database) -> ViewCatalog:
    catalog = database.annotations.get("views")
    if catalog is None:
        catalog = database.annotations["views"] = ViewCatalog()
    return catalog


def definitions(database) -> dict[str, ViewDefinition]:
    """The database's views, compiled once per version of its design."""
    cached = getattr(database, "_v_view_definitions", None)
    design = database.design
    if cached is not None and cached[0] is design:
        return cached[1]
    compiled = {name: parse_view(name, raw) for name, raw in design.get("views", {}).items()}
    database._v_view_definitions = (design, compiled)
    return compiled


def definition(database, name: str) -> ViewDefinition:
    found = definitions(database).get(name)
    if found is None:
        raise NotFound(f"database {database.name!r} has no view {name!r}")
    return found


def _new_index(database, name: str, now: datetime | None) -> ViewIndex:
    """An empty index of ``name``; one using @Today or @Now gets a clock (``now`` or the present)."""
    if definition(database, name).uses_time:
        return ViewIndex(dict(database.design["views"][name]), now or datetime.now(UTC))
    return ViewIndex(dict(database.design["views"][name]))


def start_empty(database) -> None:
    """A new, empty database: every view's index is ready at once."""
    catalog = catalog_of(database)
    for name in database.design.get("views", {}):
        catalog.indexes[name] = _new_index(database, name, None)


def schedule_build(database, name: str, now: datetime | None = None) -> None:
    """Start building ``name``'s index from its current definition (the old one keeps serving).

    ``now`` is the clock of a view using @Today or @Now (the time of the build).
    """
    catalog_of(database).builds[name] = Build(_new_index(database, name, now), database.document_count())


def forget(database, name: str) -> None:
    catalog = catalog_of(database)
    catalog.indexes.pop(name, None)
    catalog.builds.pop(name, None)


def serving(database, name: str) -> tuple[ViewDefinition, ViewIndex] | None:
    """The ready index of view ``name``, exact up to the last save, and the definition it was built
    from (None while building).

    The journal's entries the worker has not applied to it yet are applied first, in the
    caller's transaction: a reading request's is aborted afterwards (it writes nothing), a
    writing one commits them, and the index notes that it holds them.
    """
    definition(database, name)  # an unknown view is a 404 even while an old index lingers
    catalog = catalog_of(database)
    index = catalog.indexes.get(name)
    if index is None:
        return None
    journal.catch_up(catalog, name, index)
    return index.view(name), index


def update_document(database, document) -> None:
    """Note ``document``'s save for the ready indexes, and take its old rows out of the pending ones
    already past it."""
    catalog = catalog_of(database)
    # (revision, feed sequence number) of the state the document's rows in every index came from
    previous = document.annotations.get(ANNOTATION)
    before = document.bodies.get(previous[0]) if previous is not None else None
    if catalog.indexes:
        if catalog.journal is None:
            catalog.journal = journal.Journal()
        journal.record(catalog.journal, document.seq,
                       summary_of(document, before) if before is not None else None, summary_of(document))
        if journal.overdue(catalog.journal, document.seq):
            journal.apply(catalog)
    if before is not None:
        for name, build in catalog.builds.items():
            if previous[1] <= build.cursor:
                build.index.discard(build.index.view(name), state_of(document, before))
    document.annotate(ANNOTATION, (document.winner, document.seq))


def build_step(database, name: str, batch: int = BUILD_BATCH) -> bool:
    """Index the next ``batch`` changes of a pending build; True once it is done and serving."""
    catalog = catalog_of(database)
    build = catalog.builds.get(name)
    if build is None:
        return True
    index, summaries = build.index, catalog.summaries
    view = index.view(name)
    for count, (seq, unid) in enumerate(database.feed_after(build.cursor)):
        if count == batch:
            return False
        state = summaries.state(seq)
        index.add(view, state if state is not None else state_of(database.documents[unid]))
        build.cursor = seq
        build.done += 1
    index.through = build.cursor
    catalog.indexes[name] = index
    del catalog.builds[name]
    return True


def rebuild(database, name: str, now: datetime | None = None) -> None:
    """Build a view's index to the end in this transaction (tests, the CLI, small databases)."""
    schedule_build(database, name, now)
    while not build_step(database, name):
        pass


def state(database, name: str) -> dict[str, object]:
    catalog = catalog_of(database)
    build = catalog.builds.get(name)
    ready = name in catalog.indexes
    if build is None:
        return {"state": "ready" if ready else "missing"}
    return {"state": "rebuilding" if ready else "building", "progress": build.describe()}
