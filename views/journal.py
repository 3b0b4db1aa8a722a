"""The view journal: a save notes what changed, the worker moves the rows, a read is never behind.

A view's index is a counted B+tree (``views.ordered``): putting a row in
rewrites its leaf and the counts of every branch above it.  A save that
touched five of ten views therefore wrote some fifteen index records (about
50 KB), which cost more than the save of the document itself.  Instead, a
save now writes one journal entry: the document's state before and after
(as the summaries of ``views.summaries``), keyed by its change's sequence
number.  The server's worker applies the entries to every ready index in
batches (``views.plugin.ApplyJournal``), so the leaves and counts a batch touches are
written once for all of its saves.

Views stay exact: whoever reads a view first applies to that view's index,
in its own transaction, the entries the worker has not applied yet
(``catch_up``).  A reading request's transaction is never committed
(``core.groupcommit``), so a read pays for the few entries of the worker's
current round, for one view, and writes nothing; a writing transaction that
reads a view commits what it applied, and the index notes that it holds it.
Should the worker be off or far behind (an import, a script), a save applies
the waiting entries itself once there are ``MAX_WAITING`` of them.

Who writes what, so that saves and the worker never conflict: a save adds its
entry and removes the entries the worker has marked applied (the entries'
tree is written only by saves); the worker writes the indexes and the mark
(``Journal.applied``), in one transaction.  An entry ``s`` is applied to an
index only if the index does not already hold it: a ready index from a build
holds every change up to where its build read the feed, and one a read
caught up every change up to its last entry (``ViewIndex.through``).
"""
from __future__ import annotations

from BTrees.LOBTree import LOBTree
from persistent import Persistent

from views.index import State
from views.ordered import Marshalled
from views.summaries import state_from

APPLY_BATCH = 1000  # entries the worker applies in one transaction
# Saves the journal may hold before a save applies them itself: a safety valve for a server whose
# worker is off or far behind (an import, a script), so neither the journal nor a read's
# catching up grows without bound.  A worker keeps far below it.
MAX_WAITING = 20_000


class _Entry(Marshalled):
    """One save: the summaries of the document's state before it (None: no rows) and after."""

    FIELDS = ("old", "new")

    def __init__(self, old: tuple | None, new: tuple) -> None:
        self.old = old
        self.new = new


class Journal(Persistent):
    """The entries of one database's saves, and how far the worker has applied them."""

    def __init__(self) -> None:
        self.entries = LOBTree()  # change sequence number -> _Entry; written by saves only
        self.applied = 0  # every entry up to this number is in every ready index; written by the worker


def record(journal: Journal, seq: int, old: tuple | None, new: tuple) -> None:
    """Note a save (change ``seq``) for the views, and forget the entries already applied.

    Past ``MAX_WAITING`` waiting saves (counted by change numbers, a bound that costs nothing
    to keep) the caller applies them: see ``overdue``.
    """
    entries = journal.entries
    if entries and entries.minKey() <= journal.applied:
        for key in list(entries.keys(max=journal.applied)):
            del entries[key]
    earlier = entries.get(seq)
    # A second save of the same change number (one transaction) moves the rows on from the first.
    entries[seq] = _Entry(earlier.old if earlier is not None else old, new)


def overdue(journal: Journal, seq: int) -> bool:
    """Whether so many saves wait (up to change ``seq``) that this save should apply them."""
    return seq - journal.applied > MAX_WAITING


def unapplied_from(catalog) -> int | None:
    """The mark after which entries wait to be applied, None if none waits."""
    journal = catalog.journal
    if journal is None or not journal.entries or journal.entries.maxKey() <= journal.applied:
        return None
    return journal.applied


def _states(entry: _Entry) -> tuple[State | None, State]:
    return (state_from(entry.old) if entry.old is not None else None), state_from(entry.new)


def apply(catalog, limit: int | None = None) -> int:
    """Move the rows of the entries not yet applied into the ready indexes; how many were applied."""
    if unapplied_from(catalog) is None:
        return 0
    journal = catalog.journal
    indexes = list(catalog.indexes.items())
    done = 0
    for seq, entry in journal.entries.items(journal.applied + 1):
        if limit is not None and done == limit:
            break
        old, new = _states(entry)
        for name, index in indexes:
            if seq > index.through:
                index.update(index.view(name), old, new)
        journal.applied = seq
        done += 1
    return done


def catch_up(catalog, name: str, index) -> None:
    """Apply to view ``name``'s ``index`` alone the entries it does not hold yet: what a read needs.

    A read pays for one view, not for all of them; the index then says it holds those
    entries (``through``), so if the caller's transaction is committed after all (a writing
    one), the worker does not apply them to it again.
    """
    journal = catalog.journal
    if journal is None or not journal.entries:
        return
    start = max(journal.applied, index.through)
    if journal.entries.maxKey() <= start:
        return
    view = index.view(name)
    for seq, entry in journal.entries.items(start + 1):
        index.update(view, *_states(entry))
        index.through = seq


def pending(catalog) -> int:
    """How many saves the worker has not yet applied (what a read of a view applies first)."""
    mark = unapplied_from(catalog)
    return 0 if mark is None else len(catalog.journal.entries.keys(mark + 1))
