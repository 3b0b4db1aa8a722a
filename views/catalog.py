"""The views of one database: their definitions (in the design) and their indexes (beside it).

Each view in ``database.design["views"]`` has a ready index that every save
updates in its own transaction, so a view is never stale.  A new or changed
view gets a *pending* index that the server's worker builds in batches, in
UNID order, while the old index (if any) keeps serving; saves of documents
the build has already passed update the pending index too, so when the build
reaches the end it is exact and replaces the old one.
"""
from __future__ import annotations

import marshal
from datetime import datetime

from BTrees.OOBTree import OOBTree
from persistent import Persistent

from core.exceptions import NotFound
from views.definition import ViewDefinition, parse_view
from views.index import ViewIndex
from views.ordered import MARSHAL_VERSION

BUILD_BATCH = 2000


class Build(Persistent):
    """A pending index and how far its build has come."""

    def __init__(self, index: ViewIndex, total: int) -> None:
        self.index = index
        self.cursor: str | None = None  # the last UNID indexed; None before the first
        self.done = 0
        self.total = total

    def passed(self, unid: str) -> bool:
        return self.cursor is not None and unid <= self.cursor

    def describe(self) -> dict[str, int]:
        return {"done": self.done, "total": self.total}


class ViewCatalog(Persistent):
    def __init__(self) -> None:
        self.indexes = OOBTree()  # view name -> ViewIndex (ready)
        self.builds = OOBTree()  # view name -> Build (pending)
        # UNID -> marshal of {index id: placement}: where each index holds the document's rows.
        self.locations = OOBTree()

    def active(self) -> dict[str, ViewIndex]:
        """Index id -> index, for every ready and pending index."""
        found = {index.id: index for index in self.indexes.values()}
        found.update((build.index.id, build.index) for build in self.builds.values())
        return found

    def placements(self, unid: str) -> dict[str, list]:
        record = self.locations.get(unid)
        return marshal.loads(record) if record is not None else {}

    def place(self, unid: str, placements: dict[str, list], live_ids) -> None:
        """Store a document's placements, dropping those of indexes no longer in ``live_ids``."""
        live = {index_id: placed for index_id, placed in placements.items()
                if placed is not None and index_id in live_ids}
        if live:
            self.locations[unid] = marshal.dumps(live, MARSHAL_VERSION)
        elif unid in self.locations:
            del self.locations[unid]


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


def start_empty(database) -> None:
    """A new, empty database: every view's index is ready at once."""
    catalog = catalog_of(database)
    for name, raw in database.design.get("views", {}).items():
        catalog.indexes[name] = ViewIndex(dict(raw))


def schedule_build(database, name: str) -> None:
    """Start building ``name``'s index from its current definition (the old one keeps serving)."""
    catalog = catalog_of(database)
    catalog.builds[name] = Build(ViewIndex(dict(database.design["views"][name])),
                                 database.document_count())


def forget(database, name: str) -> None:
    catalog = catalog_of(database)
    catalog.indexes.pop(name, None)
    catalog.builds.pop(name, None)


def update_document(database, document, now: datetime | None = None) -> None:
    """Bring every ready index, and every pending one already past it, in step with ``document``."""
    catalog = catalog_of(database)
    views = definitions(database)
    placements = catalog.placements(document.unid)
    due = [(name, index) for name, index in catalog.indexes.items()] + [
        (name, build.index) for name, build in catalog.builds.items() if build.passed(document.unid)
    ]
    for name, index in due:
        if name in views:
            placements[index.id] = index.update(views[name], document, now, placements.get(index.id))
    catalog.place(document.unid, placements, catalog.active())


def build_step(database, name: str, batch: int = BUILD_BATCH, now: datetime | None = None) -> bool:
    """Index the next ``batch`` documents of a pending build; True once it is done and serving."""
    catalog = catalog_of(database)
    build = catalog.builds.get(name)
    if build is None:
        return True
    view = definition(database, name)
    documents = database.documents.items(min=build.cursor, excludemin=build.cursor is not None)
    index, live_ids = build.index, catalog.active()
    for count, (unid, document) in enumerate(documents):
        if count == batch:
            return False
        placements = catalog.placements(unid)
        placements[index.id] = index.update(view, document, now, placements.get(index.id))
        catalog.place(unid, placements, live_ids)
        build.cursor = unid
        build.done += 1
    catalog.indexes[name] = build.index
    del catalog.builds[name]
    return True


def rebuild(database, name: str, now: datetime | None = None) -> None:
    """Build a view's index to the end in this transaction (tests, the CLI, small databases)."""
    schedule_build(database, name)
    while not build_step(database, name, now=now):
        pass


def state(database, name: str) -> dict[str, object]:
    catalog = catalog_of(database)
    build = catalog.builds.get(name)
    ready = name in catalog.indexes
    if build is None:
        return {"state": "ready" if ready else "missing"}
    return {"state": "rebuilding" if ready else "building", "progress": build.describe()}
