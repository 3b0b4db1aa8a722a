"""Click-to-sort columns: a view's top-level rows again, in the order of one more column.

Domino lets a designer mark a column "click on column header to sort"; a
reader then sees the view sorted by that column, flat, without categories.
Sorting a million rows on a click is out of the question, so each such column
keeps a counted tree of its own, kept in step with every save like the view:
its key is the column's collation key (always ascending; the other direction
is the same tree read backwards) followed by the view's own key, so ties keep
the view's order and the view key finds the row in the view's index.  Only
keys are stored: a row lives once, in the view's own tree.

Rows with Readers are counted again per set of reader names, as in the view's
own index (``ViewIndex.restricted``), so a reader's counts and offsets in the
re-sorted view leave out what they may not see in one descent per set.
"""
from __future__ import annotations

from collections.abc import Callable

from BTrees.OOBTree import OOBTree
from persistent import Persistent

from views.ordered import CountedTree, Measure


def reader_set_tree(restricted: OOBTree, readers: tuple, measure: Measure | None = None) -> CountedTree:
    """The tree of the rows readable only by ``readers`` in ``restricted``, made on first use."""
    tree = restricted.get(readers)
    if tree is None:
        tree = restricted[readers] = CountedTree(measure=measure)
    return tree


def count_hidden(restricted: OOBTree, may_see: Callable[[object], bool], low, high) -> int:
    """How many keys in ``[low, high)`` (None: unbounded) belong to reader sets ``may_see`` refuses."""
    hidden = 0
    for readers, tree in restricted.items():
        if not may_see(readers):
            hidden += tree.rank(high) if high is not None else len(tree)
            hidden -= tree.rank(low) if low is not None else 0
    return hidden


class Resorting(Persistent):
    """The keys of a view's top-level rows in the order of one click-to-sort column."""

    def __init__(self) -> None:
        self.keys = CountedTree()  # (column key,) + the view's key -> None
        self.restricted = OOBTree()  # sorted reader names -> CountedTree of the keys of their rows

    def add(self, key: tuple, readers: tuple | None) -> None:
        self.keys.insert(key, None)
        if readers is not None:
            reader_set_tree(self.restricted, readers).insert(key, None)

    def remove(self, key: tuple, readers: tuple | None) -> None:
        self.keys.remove(key)
        if readers is not None:
            tree = self.restricted[readers]
            tree.remove(key)
            if not len(tree):
                del self.restricted[readers]
