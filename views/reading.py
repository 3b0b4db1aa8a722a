"""Reading a view: pages of rows, categories with counts and totals, responses under parents.

Every row passes the visibility gate: ``may_see(readers)`` comes from
``core.access`` for the caller, and a row it refuses is neither shown nor
counted.  Counts come from the counted trees: a range's rows minus, for each
set of reader names the caller may not see, that set's rows in the range —
one descent per set.  Offsets come straight from the tree when the caller may
see every row; otherwise a page from an offset walks the visible rows before
it (a page from a key never does).  A view sorted by one of its click-to-sort
columns (``Query.resort``) pages through that column's tree of keys the same
way, flat, and takes each row from the view's own tree.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from BTrees.OOBTree import OOBTree

from core.exceptions import BadRequest
from views.collation import HIGHEST, column_key
from views.definition import ViewDefinition
from views.index import ViewIndex
from views.ordered import CountedTree
from views.resort import count_hidden

MAX_DEPTH = 32  # response levels shown under a document


@dataclass(frozen=True)
class Query:
    start: int = 0
    count: int = 50
    key: object = None  # rows whose first sorted column equals this
    startkey: object = None  # rows from the first whose first sorted column is >= this
    category: object = None
    expand: bool = False
    descending: bool = False
    resort: str | None = None  # a click-to-sort column to order the rows by instead


def parse_key(text: str) -> object:
    """A key from a URL as the column would hold it: a number, a date, a time or text."""
    if len(text) > 1000:
        raise BadRequest("a key is at most 1000 characters")
    for parse in (int, float):
        try:
            return parse(text)
        except ValueError:
            pass
    for parse in (date.fromisoformat, datetime.fromisoformat):
        try:
            return parse(text.replace("Z", "+00:00"))
        except ValueError:
            pass
    return text


@dataclass(frozen=True)
class _Order:
    """The keys a page walks: the view's own tree, or a click-to-sort column's (``views.resort``)."""

    tree: CountedTree
    restricted: OOBTree  # reader names -> the keys of their rows, for counts without them
    direction: str  # of the column the keys begin with
    lookup: Callable[[tuple, object], tuple]  # (key, value) -> the row


class ViewReader:
    def __init__(self, definition: ViewDefinition, index: ViewIndex,
                 may_see: Callable[[object], bool]) -> None:
        self.view = definition
        self.index = index
        self.may_see = may_see
        self.filtered = any(not may_see(readers) for readers in index.restricted)
        sorted_columns = definition.sorted_columns
        self.own_order = _Order(index.entries, index.restricted,
                                sorted_columns[0].sort if sorted_columns else "none",
                                lambda key, row: row)

    def _order(self, query: Query) -> _Order:
        if query.resort is None:
            return self.own_order
        column = self.view.columns[self.view.resort_column(query.resort)]
        if query.category is not None:
            raise BadRequest("a view sorted by a column has no categories: drop category or resort")
        entries = self.index.entries
        return _Order(self.index.resorted[column.name].keys, self.index.resorted[column.name].restricted,
                      "ascending", lambda key, _: entries.get(key[1:]))

    # -- rows --------------------------------------------------------------
    def _row(self, row: tuple, position: str) -> dict[str, object]:
        unid, values, _, conflict = row
        out: dict[str, object] = {"@unid": unid, "@position": position}
        if conflict:
            out["@conflict"] = True
        out.update(zip((c.name for c in self.view.columns), values, strict=True))
        return out

    def _visible(self, entries: Iterator[tuple]) -> Iterator[tuple]:
        return (entry for entry in entries if self.may_see(entry[1][2]))

    def _with_responses(self, row: tuple, position: str, depth: int = 0) -> Iterator[dict]:
        yield self._row(row, position)
        children = self.index.children(row[0]) if self.view.responses else None
        if children is None or depth >= MAX_DEPTH:
            return
        for number, (_, child) in enumerate(self._visible(children.items()), start=1):
            yield from self._with_responses(child, f"{position}.{number}", depth + 1)

    def _first_key(self, order: _Order, value: object) -> tuple:
        if order.direction == "none":
            raise BadRequest(f"view {self.view.name} is not sorted: it has no keys to look up")
        return (column_key(value, order.direction),)

    def _bounds(self, order: _Order, query: Query) -> tuple[tuple | None, tuple | None]:
        """The keys ``[low, high)`` of the top-level entries the query covers (None: unbounded)."""
        exact = query.category if query.category is not None else query.key
        if exact is not None:
            prefix = self._first_key(order, exact)
            return prefix, prefix + (HIGHEST,)
        if query.startkey is not None:
            return self._first_key(order, query.startkey), None
        return None, None

    @staticmethod
    def _positions(order: _Order, low: tuple | None, high: tuple | None) -> tuple[int, int]:
        tree = order.tree
        return (tree.rank(low) if low is not None else 0,
                tree.rank(high) if high is not None else len(tree))

    @staticmethod
    def _entries(order: _Order, low: int, high: int, descending: bool) -> Iterator[tuple]:
        """``(key, row)`` of the entries at positions ``[low, high)``, walked either way."""
        tree = order.tree
        walk = tree.items_backwards(len(tree) - high) if descending else tree.items(low)
        return ((key, order.lookup(key, value)) for key, value in itertools.islice(walk, high - low))

    def _count(self, low: tuple | None, high: tuple | None, order: _Order | None = None) -> int:
        """Visible top-level rows between two keys."""
        order = order or self.own_order
        first, last = self._positions(order, low, high)
        if not self.filtered:
            return last - first
        return last - first - count_hidden(order.restricted, self.may_see, low, high)

    # -- pages -------------------------------------------------------------
    def read(self, query: Query) -> dict[str, object]:
        order = self._order(query)
        low_key, high_key = self._bounds(order, query)
        low, high = self._positions(order, low_key, high_key)
        by_category = order is self.own_order and self.view.categories
        if by_category and query.category is None and not query.expand:
            return self._categories(low, high, query)
        total = self._count(low_key, high_key, order)
        if self.filtered:
            visible = self._visible(self._entries(order, low, high, query.descending))
            page = itertools.islice(visible, query.start, query.start + query.count)
        else:
            start = min(low + query.start, high)
            end = min(start + query.count, high)
            if query.descending:
                start, end = high - (end - low), high - (start - low)
            page = self._entries(order, start, end, query.descending)
        rows = []
        previous = None
        for number, (key, row) in enumerate(page, start=query.start + 1):
            if query.expand and by_category and key[0] != previous:
                previous = key[0]
                rows.append(self._category_row(key[0], row, None))
            rows.extend(self._with_responses(row, str(number)))
        return {"total": total, "rows": rows}

    def _category_row(self, category_key: tuple, row: tuple, position: int | None) -> dict:
        low_key, high_key = (category_key,), (category_key, HIGHEST)
        out: dict[str, object] = {"@category": row[1][0], "@count": self._count(low_key, high_key)}
        if position is not None:
            out["@position"] = str(position)
        if self.index.totals is not None:
            sums = self.index.visible_totals(self.may_see, low_key, high_key)
            for i, total in zip(self.index.totals.columns, sums, strict=True):
                # Sums of a range are differences of sums before its ends: round off float dust.
                out[self.view.columns[i].name] = round(total, 9) if isinstance(total, float) else total
        return out

    def _categories(self, low: int, high: int, query: Query) -> dict[str, object]:
        """One row per category of the first categorised column, with its count."""
        entries = self.index.entries
        found = []
        position = low
        while position < high:
            key, row = next(entries.items(position))
            upper = entries.rank((key[0], HIGHEST))
            if self._count((key[0],), (key[0], HIGHEST)):
                found.append((key[0], row))
            position = upper
        if query.descending:
            found.reverse()
        chosen = found[query.start:query.start + query.count]
        rows = [self._category_row(key, row, query.start + n) for n, (key, row) in
                enumerate(chosen, start=1)]
        total = sum(self._count((key,), (key, HIGHEST)) for key, _ in found)
        return {"total": total, "categories": len(found), "rows": rows}
