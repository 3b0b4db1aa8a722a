"""A Domino-style database: design, documents and an ordered changes feed.

Growing collections are BTrees; the live-document count is a
``BTrees.Length`` whose conflict resolution adds concurrent increments.  The
feed's sequence counter is deliberately *not* conflict-free: two transactions
that both take a number conflict and one is retried, which is what guarantees
that a later commit never shows a lower sequence than one already visible.
"""
from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from BTrees.Length import Length
from BTrees.LOBTree import LOBTree
from BTrees.OOBTree import OOBTree, OOTreeSet
from persistent import Persistent
from zope.interface import implementer

from core import revisions
from core.document import Document
from core.exceptions import InvalidName, hidden_document
from core.interfaces import IDatabase

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


def check_database_name(name: object) -> str:
    """Database names are lowercase identifiers because they appear in URLs and paths."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidName(
            f"database name {name!r} must be a lowercase identifier: a letter, then letters, "
            "digits, '_' or '-' (at most 64)"
        )
    return name


def new_replica_id() -> str:
    return os.urandom(8).hex().upper()


@dataclass(frozen=True)
class Change:
    """One row of the changes feed as consumers and the API see it."""

    seq: int
    unid: str
    rev: str
    deleted: bool


class _Sequence(Persistent):
    """The feed's counter, alone in its record so that bumping it conflicts cheaply."""

    def __init__(self) -> None:
        self.value = 0


@implementer(IDatabase)
class Database(Persistent):
    #: The highest feed sequence of a purged deletion stub: a replica that last
    #: replicated before it missed a deletion it can no longer learn of.
    purged_seq = 0

    def __init__(
        self,
        name: str,
        title: dict[str, str],
        template: str,
        design: dict,
        *,
        replica_id: str | None = None,
        purge_interval_days: int = 90,
    ) -> None:
        self.name = check_database_name(name)
        self.title = dict(title)
        self.template = template
        self.design = copy.deepcopy(design)
        self.replica_id = replica_id or new_replica_id()
        self.purge_interval_days = purge_interval_days
        self.documents = OOBTree()
        self.annotations = OOBTree()
        self._count = Length()
        self._sequence = _Sequence()
        self._changes = LOBTree()
        self._responses = OOBTree()
        self._tombstones = OOBTree()
        self._restricted = OOBTree()  # sorted reader names -> Length of live documents
        self._readers_of = OOBTree()  # UNID -> sorted reader names, for restricted documents


    # -- documents -------------------------------------------------------
    def document_count(self) -> int:
        return self._count()

    def get_document(self, unid: str) -> Document:
        document = self.documents.get(unid) if isinstance(unid, str) else None
        if document is None:
            raise hidden_document(self, unid)
        return document

    def store(self, document: Document, was_live: bool, was_readers: frozenset | None = None) -> None:
        """Account for a new revision of ``document``: counts, stubs, feed.

        ``was_live`` says whether the document was live before this revision
        (False for a new document), ``was_readers`` what its Readers were.
        """
        if document.unid not in self.documents:
            self.documents[document.unid] = document
        is_live = not document.deleted
        if is_live != was_live:
            self._count.change(1 if is_live else -1)
        self._count_restricted(was_readers if was_live else None, -1)
        self._count_restricted(document.readers if is_live else None, 1)
        if document.readers:
            self._readers_of[document.unid] = tuple(sorted(document.readers))
        else:
            self._readers_of.pop(document.unid, None)
        if is_live:
            self._tombstones.pop(document.unid, None)
        else:
            self._tombstones[document.unid] = document.current().timestamp
        self._record_change(document)

    def _record_change(self, document: Document) -> None:
        if document.seq:
            self._changes.pop(document.seq, None)
        seq = self._sequence.value + 1
        self._sequence.value = seq
        self._changes[seq] = document.unid
        document.seq = seq

    def purge(self, unid: str) -> None:
        """Remove a deletion stub for good, with its feed entry."""
        document = self.documents.pop(unid)
        self.purged_seq = max(self.purged_seq, document.seq)
        self._changes.pop(document.seq, None)
        self._tombstones.pop(unid, None)
        self._readers_of.pop(unid, None)
        parent = document.current().parent_unid
        if parent:
            self.unlink_response(parent, unid)

    def _count_restricted(self, readers: frozenset | None, change: int) -> None:
        if not readers:
            return
        key = tuple(sorted(readers))
        counter = self._restricted.get(key)
        if counter is None:
            counter = self._restricted[key] = Length()
        counter.change(change)

    def readers_of(self, unid: str) -> tuple[str, ...] | None:
        """Who may see a document (sorted folded names), None if everyone: without loading it.

        Listings ask this for every key they pass, so a user who may see one
        document in ten does not pay for loading the other nine.
        """
        return self._readers_of.get(unid)

    def is_deleted(self, unid: str) -> bool:
        """Is the document a deletion stub?  Answered from the stub index, without loading it."""
        return unid in self._tombstones

    def visible_count(self, may_see) -> int:
        """Live documents whose Readers ``may_see(readers)`` accepts, plus all unrestricted ones.

        Documents are counted by their set of Readers names, so this costs one
        step per distinct set, not per document: listings and views show true
        totals without revealing how many documents a user may not read.
        """
        hidden = sum(
            counter() for readers, counter in self._restricted.items() if not may_see(readers)
        )
        return self._count() - hidden

    def tombstones(self) -> OOBTree:
        """UNID -> time of deletion of every deletion stub."""
        return self._tombstones

    # -- responses -------------------------------------------------------
    def link_response(self, parent_unid: str, unid: str) -> None:
        children = self._responses.get(parent_unid)
        if children is None:
            children = self._responses[parent_unid] = OOTreeSet()
        children.add(unid)

    def unlink_response(self, parent_unid: str, unid: str) -> None:
        children = self._responses.get(parent_unid)
        if children is not None and unid in children:
            children.remove(unid)

    def responses_of(self, parent_unid: str) -> list[str]:
        children = self._responses.get(parent_unid)
        return list(children) if children is not None else []

    # -- changes feed ----------------------------------------------------
    def last_seq(self) -> int:
        return self._sequence.value

    def feed_after(self, since: int) -> Iterator[tuple[int, str]]:
        """``(seq, unid)`` of every document whose latest change is after ``since``, in order.

        Only the feed's own records are read, never a document: a consumer that
        keeps what it needs of each change elsewhere walks a million entries in
        a second.
        """
        return self._changes.items(min=since, excludemin=True)

    def changes_since(self, since: int, limit: int) -> list[Change]:
        out: list[Change] = []
        if limit <= 0:
            return out
        for seq, unid in self._changes.items(min=since, excludemin=True):
            document = self.documents[unid]
            out.append(Change(seq, unid, document.winner, document.deleted))
            if len(out) >= limit:
                break
        return out

    # -- consistency -------------------------------------------------------
    def verify(self) -> list[str]:
        """Problems found by walking every document against the counters and the feed."""
        problems: list[str] = []
        live = 0
        for unid, document in self.documents.items():
            where = f"{self.name}/{unid}"
            if set(document.tree) != set(document.bodies):
                problems.append(f"{where}: revision tree and stored revisions differ")
                continue
            if not document.tree or revisions.winner(document.tree) != document.winner:
                problems.append(f"{where}: cached winner is not the tree's winner")
                continue
            live += not document.deleted
            if self._changes.get(document.seq) != unid:
                problems.append(f"{where}: missing from the changes feed at seq {document.seq}")
            if document.deleted != (unid in self._tombstones):
                problems.append(f"{where}: deletion stub index disagrees with the document")
            if self._readers_of.get(unid) != (tuple(sorted(document.readers)) if document.readers else None):
                problems.append(f"{where}: readers index disagrees with the document")
        if live != self._count():
            problems.append(f"{self.name}: document count {self._count()} but {live} live documents")
        if len(self._changes) != len(self.documents):
            problems.append(
                f"{self.name}: {len(self._changes)} feed entries for {len(self.documents)} documents"
            )
        if self._changes and self._changes.maxKey() > self._sequence.value:
            problems.append(f"{self.name}: feed holds a sequence above the counter")
        return problems
