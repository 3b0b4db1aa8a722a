"""A counted B+tree in ZODB: sorted entries that also answer "which is the N-th?".

ZODB's BTrees find a key in microseconds but cannot say how many entries lie
before it: a view page "from row 200,000" or a category's document count would
walk the tree (about 150 ms at a million entries).  Here every branch keeps
the number of entries under each child, so position, offset and range counts
cost one walk from the root to a leaf, and a change rewrites only the nodes on
that path.

Keys are tuples that compare with ``<`` (view sort keys); values are any
picklable data (a view row).  Nodes are small persistent objects, and a
branch keeps its counts in an object of their own: an insert that splits
nothing rewrites one leaf and a few short lists of numbers, not the keys of
every branch above it.  Removal drops empty nodes but does not rebalance:
the height never grows on removal, and inserts keep nodes full.

Keys and values are plain data (tuples, lists, text, numbers, None), and a
node stores them as one ``marshal`` string: ZODB's pickler calls back into
Python for every object it writes, so a leaf of a few hundred small tuples
would cost more to save than everything else in a document's save.  (An index
is derived data: a Python whose marshal format changed rebuilds it.)
"""
from __future__ import annotations

import marshal
from bisect import bisect_left, bisect_right
from collections.abc import Iterator

from persistent import Persistent

MARSHAL_VERSION = 4
LEAF_SIZE = 24  # entries per leaf, at most: a save rewrites one leaf per view it touches
# Children per branch, at most.  Every insert rewrites the counts of each branch on its path,
# so the tree is kept shallow: a million rows are two levels of branches above the leaves.
BRANCH_SIZE = 256


class _Leaf(Persistent):
    """Sorted keys and their values; stored as one ``marshal`` string (see the module's note)."""

    def __init__(self, keys: list | None = None, values: list | None = None) -> None:
        self.keys = keys or []
        self.values = values or []

    def __getstate__(self) -> bytes:
        return marshal.dumps((self.keys, self.values), MARSHAL_VERSION)

    def __setstate__(self, state: bytes) -> None:
        self.keys, self.values = marshal.loads(state)

    def size(self) -> int:
        return len(self.keys)


class _Counts(Persistent):
    """How many entries lie under each child of one branch (changes on every insert)."""

    def __init__(self, values: list[int]) -> None:
        self.values = values

    def __getstate__(self) -> bytes:
        return marshal.dumps(self.values, MARSHAL_VERSION)

    def __setstate__(self, state: bytes) -> None:
        self.values = marshal.loads(state)


def separator(low, high):
    """A short key ``k`` with ``low < k <= high``: what a branch needs between two children.

    Keys are tuples of tuples, text and numbers; the separator is ``high`` cut
    after the first element that differs from ``low``, and that element cut the
    same way (text after its first differing character).  A branch of a view
    sorted by date then UNID keeps ``((2, "2023-05-01"), (8, "0005F2A"))``, not
    the whole key, so rewriting it when a leaf splits costs a quarter as much.
    """
    if type(low) is not type(high) or not isinstance(high, tuple | str):
        return high
    for i, (a, b) in enumerate(zip(low, high, strict=False)):
        if a != b:
            return high[:i] + (separator(a, b),) if isinstance(high, tuple) else high[:i + 1]
    return high[:len(low) + 1]


class _Branch(Persistent):
    """Children in key order; every key under ``children[i]`` is ``>= keys[i]`` and ``< keys[i + 1]``.

    ``keys[0]`` is never consulted (a key below it still goes to the first
    child), so an insert at the far left of a view — the newest document of a
    view sorted newest first — does not rewrite the branches above it.
    """

    def __init__(self, keys: list, children: list, counts: list[int]) -> None:
        self.keys = keys
        self.children = children
        self.counts = _Counts(counts)

    def __getstate__(self) -> tuple:
        return marshal.dumps(self.keys, MARSHAL_VERSION), self.children, self.counts

    def __setstate__(self, state: tuple) -> None:
        keys, self.children, self.counts = state
        self.keys = marshal.loads(keys)

    def size(self) -> int:
        return sum(self.counts.values)

    def child_for(self, key) -> int:
        return max(bisect_right(self.keys, key) - 1, 0)


class CountedTree(Persistent):
    """Sorted ``key -> value`` with rank and offset in O(log n)."""

    def __init__(self, leaf_size: int = LEAF_SIZE, branch_size: int = BRANCH_SIZE) -> None:
        self.root: _Leaf | _Branch = _Leaf()
        self.leaf_size = leaf_size
        self.branch_size = branch_size

    def __len__(self) -> int:
        """From the root's counts: no counter of our own, so an insert leaves this object alone."""
        return self.root.size()

    # -- lookup ----------------------------------------------------------
    def get(self, key, default=None):
        node = self.root
        while isinstance(node, _Branch):
            node = node.children[node.child_for(key)]
        index = bisect_left(node.keys, key)
        if index < len(node.keys) and node.keys[index] == key:
            return node.values[index]
        return default

    def __contains__(self, key) -> bool:
        marker = object()
        return self.get(key, marker) is not marker

    def rank(self, key) -> int:
        """How many keys are smaller than ``key``."""
        node, before = self.root, 0
        while isinstance(node, _Branch):
            index = node.child_for(key)
            before += sum(node.counts.values[:index])
            node = node.children[index]
        return before + bisect_left(node.keys, key)

    def count_range(self, low, high) -> int:
        """How many keys ``k`` satisfy ``low <= k < high``."""
        return max(self.rank(high) - self.rank(low), 0)

    def items(self, offset: int = 0) -> Iterator[tuple[object, object]]:
        """Entries in key order from position ``offset``."""
        if offset >= len(self):
            return
        yield from self._walk(self.root, max(offset, 0))

    def items_from(self, key) -> Iterator[tuple[object, object]]:
        """Entries in key order from the first key ``>= key``."""
        return self.items(self.rank(key))

    def _walk(self, node, offset: int) -> Iterator[tuple[object, object]]:
        if isinstance(node, _Leaf):
            yield from zip(node.keys[offset:], node.values[offset:], strict=True)
            return
        for child, count in zip(node.children, node.counts.values, strict=True):
            if offset >= count:
                offset -= count
                continue
            yield from self._walk(child, offset)
            offset = 0

    def items_backwards(self, offset: int = 0) -> Iterator[tuple[object, object]]:
        """Entries in descending key order, skipping the last ``offset``."""
        position = len(self) - 1 - max(offset, 0)
        while position >= 0:
            # Walk leaf by leaf from the end: each step is one descent, then a slice.
            leaf, start = self._leaf_at(position)
            for index in range(start, -1, -1):
                yield leaf.keys[index], leaf.values[index]
            position -= start + 1

    def _leaf_at(self, position: int) -> tuple[_Leaf, int]:
        node = self.root
        while isinstance(node, _Branch):
            for child, count in zip(node.children, node.counts.values, strict=True):
                if position < count:
                    node = child
                    break
                position -= count
        return node, position

    # -- change ----------------------------------------------------------
    def insert(self, key, value) -> bool:
        """Set ``key`` to ``value``; True if the key was new."""
        added, split = self._insert(self.root, key, value)
        if split is not None:
            left = self.root
            self.root = _Branch([left.keys[0], split[0]], [left, split[1]],
                                [left.size(), split[1].size()])
        return added

    def _insert(self, node, key, value):
        if isinstance(node, _Leaf):
            index = bisect_left(node.keys, key)
            if index < len(node.keys) and node.keys[index] == key:
                node.values[index] = value
                node._p_changed = True
                return False, None
            node.keys.insert(index, key)
            node.values.insert(index, value)
            node._p_changed = True
            if len(node.keys) <= self.leaf_size:
                return True, None
            half = len(node.keys) // 2
            right = _Leaf(node.keys[half:], node.values[half:])
            del node.keys[half:], node.values[half:]
            return True, (separator(node.keys[-1], right.keys[0]), right)
        index = node.child_for(key)
        added, split = self._insert(node.children[index], key, value)
        counts = node.counts.values
        if added:
            counts[index] += 1
            node.counts._p_changed = True
        if split is None:
            return added, None
        counts[index] = node.children[index].size()
        counts.insert(index + 1, split[1].size())
        node.keys.insert(index + 1, split[0])
        node.children.insert(index + 1, split[1])
        node._p_changed = node.counts._p_changed = True
        if len(node.children) <= self.branch_size:
            return added, None
        half = len(node.children) // 2
        right = _Branch(node.keys[half:], node.children[half:], counts[half:])
        del node.keys[half:], node.children[half:], counts[half:]
        return added, (right.keys[0], right)

    def remove(self, key) -> bool:
        """Remove ``key``; True if it was there."""
        removed = self._remove(self.root, key)
        if removed:
            while isinstance(self.root, _Branch) and len(self.root.children) == 1:
                self.root = self.root.children[0]
            if isinstance(self.root, _Branch) and not self.root.children:
                self.root = _Leaf()
        return removed

    def _remove(self, node, key) -> bool:
        if isinstance(node, _Leaf):
            index = bisect_left(node.keys, key)
            if index == len(node.keys) or node.keys[index] != key:
                return False
            del node.keys[index], node.values[index]
            node._p_changed = True
            return True
        index = node.child_for(key)
        child = node.children[index]
        if not self._remove(child, key):
            return False
        counts = node.counts.values
        counts[index] -= 1
        node.counts._p_changed = True
        if counts[index] == 0:
            del node.keys[index], node.children[index], counts[index]
            node._p_changed = True
        return True

    def clear(self) -> None:
        self.root = _Leaf()
