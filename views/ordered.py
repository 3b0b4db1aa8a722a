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

A tree made with a ``measure`` (value -> tuple of numbers) also keeps, beside
each count, the sums of those numbers under each child, so the totals of any
key range are one descent too (a categorised view's totals per category).

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


class Marshalled(Persistent):
    """A persistent object of plain data, stored as one ``marshal`` string of its ``FIELDS``
    (see the module's note)."""

    FIELDS: tuple[str, ...] = ()

    def __getstate__(self) -> bytes:
        return marshal.dumps(tuple(getattr(self, name) for name in self.FIELDS), MARSHAL_VERSION)

    def __setstate__(self, state: bytes) -> None:
        for name, value in zip(self.FIELDS, marshal.loads(state), strict=True):
            setattr(self, name, value)


class _Leaf(Marshalled):
    """Sorted keys and their values."""

    FIELDS = ("keys", "values")

    def __init__(self, keys: list | None = None, values: list | None = None) -> None:
        self.keys = keys or []
        self.values = values or []

    def size(self) -> int:
        return len(self.keys)


class _Counts(Marshalled):
    """How many entries lie under each child of one branch, and their sums (change on every insert)."""

    FIELDS = ("values", "sums")

    def __init__(self, values: list[int], sums: list[list] | None = None) -> None:
        self.values = values
        self.sums = sums


class Measure:
    """What a tree sums: ``width`` numbers per value; this one sums values that are such tuples."""

    def __init__(self, width: int) -> None:
        self.width = width

    def __call__(self, value) -> tuple:
        return value


def _plus(total: list, more) -> list:
    return [a + b for a, b in zip(total, more, strict=True)]


def _minus(total: list, less) -> list:
    return [a - b for a, b in zip(total, less, strict=True)]


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

    def __init__(self, keys: list, children: list, counts: list[int], sums: list[list] | None = None) -> None:
        self.keys = keys
        self.children = children
        self.counts = _Counts(counts, sums)

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
    """Sorted ``key -> value`` with rank, offset (and range sums, with a ``measure``) in O(log n)."""

    def __init__(self, leaf_size: int = LEAF_SIZE, branch_size: int = BRANCH_SIZE,
                 measure: Measure | None = None) -> None:
        self.root: _Leaf | _Branch = _Leaf()
        self.leaf_size = leaf_size
        self.branch_size = branch_size
        self.measure = measure  # stored with the tree: an instance of a module-level class

    def _sum(self, node) -> list | None:
        """The sums of everything under ``node`` (None in a tree without a measure)."""
        if self.measure is None:
            return None
        if isinstance(node, _Leaf):
            total = [0] * self._width()
            for value in node.values:
                total = _plus(total, self.measure(value))
            return total
        total = [0] * self._width()
        for child_sum in node.counts.sums:
            total = _plus(total, child_sum)
        return total

    def _width(self) -> int:
        return self.measure.width

    def _new_branch(self, keys: list, children: list) -> _Branch:
        sums = [self._sum(child) for child in children] if self.measure is not None else None
        return _Branch(keys, children, [child.size() for child in children], sums)

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

    def sums_before(self, key) -> list:
        """The measure summed over the entries whose key is smaller than ``key``."""
        node, total = self.root, [0] * self._width()
        while isinstance(node, _Branch):
            index = node.child_for(key)
            for child_sum in node.counts.sums[:index]:
                total = _plus(total, child_sum)
            node = node.children[index]
        for value in node.values[:bisect_left(node.keys, key)]:
            total = _plus(total, self.measure(value))
        return total

    def sum_range(self, low, high) -> list:
        """The measure summed over the entries ``low <= k < high`` (None: unbounded)."""
        upper = self.sums_before(high) if high is not None else self._sum(self.root)
        return _minus(upper, self.sums_before(low)) if low is not None else upper

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
        added, _, split = self._insert(self.root, key, value)
        if split is not None:
            self.root = self._new_branch([self.root.keys[0], split[0]], [self.root, split[1]])
        return added

    def _change(self, old, new) -> list | None:
        """How a value's replacement (``old`` None: an insert; ``new`` None: a removal) moves the sums."""
        if self.measure is None:
            return None
        change = [0] * self._width()
        if new is not None:
            change = _plus(change, self.measure(new))
        if old is not None:
            change = _minus(change, self.measure(old))
        return change

    def _insert(self, node, key, value):
        """``(added, change of the sums, split)`` where a split is ``(separator, new right node)``."""
        if isinstance(node, _Leaf):
            index = bisect_left(node.keys, key)
            node._p_changed = True
            if index < len(node.keys) and node.keys[index] == key:
                change = self._change(node.values[index], value)
                node.values[index] = value
                return False, change, None
            node.keys.insert(index, key)
            node.values.insert(index, value)
            change = self._change(None, value)
            if len(node.keys) <= self.leaf_size:
                return True, change, None
            half = len(node.keys) // 2
            right = _Leaf(node.keys[half:], node.values[half:])
            del node.keys[half:], node.values[half:]
            return True, change, (separator(node.keys[-1], right.keys[0]), right)
        index = node.child_for(key)
        added, change, split = self._insert(node.children[index], key, value)
        self._account(node, index, 1 if added else 0, change)
        if split is None:
            return added, change, None
        counts, sums = node.counts.values, node.counts.sums
        counts[index] = node.children[index].size()
        counts.insert(index + 1, split[1].size())
        if sums is not None:
            sums[index] = self._sum(node.children[index])
            sums.insert(index + 1, self._sum(split[1]))
        node.keys.insert(index + 1, split[0])
        node.children.insert(index + 1, split[1])
        node._p_changed = node.counts._p_changed = True
        if len(node.children) <= self.branch_size:
            return added, change, None
        half = len(node.children) // 2
        right = _Branch(node.keys[half:], node.children[half:], counts[half:],
                        sums[half:] if sums is not None else None)
        del node.keys[half:], node.children[half:], counts[half:]
        if sums is not None:
            del sums[half:]
        return added, change, (right.keys[0], right)

    @staticmethod
    def _account(node: _Branch, index: int, count: int, change: list | None) -> None:
        """Add ``count`` entries and ``change`` to the sums of ``node``'s child ``index``."""
        if count:
            node.counts.values[index] += count
            node.counts._p_changed = True
        if change is not None and any(change):
            node.counts.sums[index] = _plus(node.counts.sums[index], change)
            node.counts._p_changed = True

    def remove(self, key) -> bool:
        """Remove ``key``; True if it was there."""
        removed, _ = self._remove(self.root, key)
        if removed:
            while isinstance(self.root, _Branch) and len(self.root.children) == 1:
                self.root = self.root.children[0]
            if isinstance(self.root, _Branch) and not self.root.children:
                self.root = _Leaf()
        return removed

    def _remove(self, node, key) -> tuple[bool, list | None]:
        if isinstance(node, _Leaf):
            index = bisect_left(node.keys, key)
            if index == len(node.keys) or node.keys[index] != key:
                return False, None
            change = self._change(node.values[index], None)
            del node.keys[index], node.values[index]
            node._p_changed = True
            return True, change
        index = node.child_for(key)
        removed, change = self._remove(node.children[index], key)
        if not removed:
            return False, None
        self._account(node, index, -1, change)
        if node.counts.values[index] == 0:
            del node.keys[index], node.children[index], node.counts.values[index]
            if node.counts.sums is not None:
                del node.counts.sums[index]
            node._p_changed = True
        return True, change

    def clear(self) -> None:
        self.root = _Leaf()
