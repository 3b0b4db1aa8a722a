"""Documents and their revisions.

A ``Document`` is a UNID plus a tree of immutable ``Revision`` objects, each
its own persistent record so that reading the current revision never loads
the history.  The tree (rev -> parent, deleted) lives on the document itself:
it is small and decides the winner.  Nothing here commits or calls hooks;
``core.writes`` does that around these methods.
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping

from persistent import Persistent
from zope.interface import implementer

from core import revisions
from core.attachments import Attachment
from core.exceptions import DocumentNotFound
from core.interfaces import IDocument, IRevision

_last_unid_time = 0


def new_unid() -> str:
    """32 uppercase hex digits: 12 of time (µs) then 20 random.

    The time prefix keeps new documents at the right edge of the BTree, so a
    bulk write touches few buckets.
    """
    global _last_unid_time
    now = max(time.time_ns() // 1000, _last_unid_time + 1)
    _last_unid_time = now
    return f"{now & 0xFFFFFFFFFFFF:012X}{os.urandom(10).hex().upper()}"


@implementer(IRevision)
class Revision(Persistent):
    """One state of a document; never changed after it is stored.

    The items are kept as their canonical JSON text, not as a dict: one string
    pickles and loads far faster than a dict of strings, and JSON is what
    every reader of a revision wants in the end.  ``items`` decodes it once
    per loaded object; treat the returned dict as read-only.

    ``foreign`` marks a revision made by a peer that is not Domus (PouchDB,
    CouchDB): it carries no Domus metadata, so replication sends it back
    without inventing any and the peers' copies stay identical.
    """

    foreign = False

    def __init__(
        self,
        rev: str,
        parent_rev: str | None,
        items: dict[str, object],
        *,
        items_json: str | None = None,
        deleted: bool = False,
        attachments: Mapping[str, Attachment] | None = None,
        parent_unid: str | None = None,
        updated_by: str = "",
        timestamp: str = "",
        changed: tuple[str, ...] = (),
    ) -> None:
        self.rev = rev
        self.parent_rev = parent_rev
        self.items_json = items_json if items_json is not None else revisions.canonical_json(items)
        self._v_items = items
        self.deleted = deleted
        self.attachments = dict(attachments or {})
        self.parent_unid = parent_unid
        self.updated_by = updated_by
        self.timestamp = timestamp
        self.changed = changed

    @property
    def items(self) -> dict[str, object]:
        cached = getattr(self, "_v_items", None)
        if cached is None:
            cached = self._v_items = json.loads(self.items_json)
        return cached


@implementer(IDocument)
class Document(Persistent):
    """A UNID and its revision tree; ``winner`` is cached for fast reads.

    ``readers`` (who may see it: None for everyone, else the folded names of
    its Readers and Authors items) and ``authors`` (who may edit it) come from
    the current revision (``core.readers``), kept here so the gate answers
    without decoding items; a deletion stub keeps the lists of the revision it
    deleted, so a hidden document stays hidden when deleted.

    ``stems`` names, for a revision that arrived by replication without its
    whole history, the ancestors this replica never received (rev -> their
    ids, newest first): they are known by id only, as in CouchDB, so a later
    copy of one of them is recognised instead of becoming a false conflict.

    ``annotations`` holds small derived facts plugins keep per document (name
    -> plain data), set inside the save's transaction: the document's record is
    written by every save anyway, so a plugin's note costs no record of its own.
    Replace the dict to change it (it is part of the document's state).
    """

    readers: frozenset[str] | None = None
    authors: frozenset[str] = frozenset()
    stems: dict[str, tuple[str, ...]] | None = None
    annotations: dict[str, object] = {}  # never changed in place: annotate() replaces it

    def annotate(self, name: str, value: object) -> None:
        """Set plugin ``name``'s note on this document."""
        self.annotations = {**self.annotations, name: value}

    def __init__(self, unid: str) -> None:
        self.unid = unid
        self.seq = 0
        self.created = ""
        self.tree: dict[str, tuple[str | None, bool]] = {}
        self.bodies: dict[str, Revision] = {}
        self.winner = ""

    def add(self, revision: Revision) -> None:
        """Graft a revision into the tree and recompute the winner."""
        if not self.created:
            self.created = revision.timestamp
        self.tree[revision.rev] = (revision.parent_rev, revision.deleted)
        self.bodies[revision.rev] = revision
        self._p_changed = True
        self.winner = revision.rev if len(self.tree) == 1 else revisions.winner(self.tree)

    def current(self) -> Revision:
        return self.bodies[self.winner]

    @property
    def deleted(self) -> bool:
        return self.tree[self.winner][1]

    def revision(self, rev: str) -> Revision:
        try:
            return self.bodies[rev]
        except KeyError:
            raise DocumentNotFound(f"document {self.unid} has no revision {rev}") from None

    def conflicts(self) -> list[str]:
        return revisions.conflicts(self.tree) if len(self.tree) > 1 else []

    def history(self) -> list[Revision]:
        """The winner and its ancestors, newest first."""
        return [self.bodies[rev] for rev in revisions.ancestry(self.tree, self.winner)]
