"""A view's index: its rows, sorted, kept in step with every save in the same transaction.

Each row a view shows is an entry ``sort key -> row`` in a counted B+tree
(``views.ordered``), so a page from any key or offset and a category's count
are one descent.  The sort key is the collation keys of the sorted columns,
then ``(TAIL, unid, n)`` (``n`` numbers the values of a multi-value column
shown as separate entries), so every key is unique, ties are stable, and
every element is a tuple led by a number, comparable with the end marker of
a category's range.
A row is ``(unid, column values, readers, conflict)``: what a page shows,
plus what the gate needs to hide it without loading the document.

In a view with ``responses``, response documents are not sorted among the
main documents but kept per parent and shown under it, as Domino shows them.
Each click-to-sort column keeps the top-level rows' keys again in its own
order (``views.resort``).

Rows are a pure function of the view, the document's state (a ``State``: its
items and metadata at one revision) and the index's ``now``: so the rows a
document has in an index are found again by computing them from the state
they were made from, and no per-document record of keys is written on a save.
"""
from __future__ import annotations

import itertools
import logging
from datetime import date, datetime
from typing import NamedTuple

from BTrees.OOBTree import OOBTree
from persistent import Persistent

from views.collation import TAIL, column_key
from views.definition import ViewDefinition, parse_view
from views.formula import Environment, EvaluationError
from views.ordered import CountedTree, Measure
from views.resort import Resorting, reader_set_tree

log = logging.getLogger(__name__)
MAX_EXPANSION = 100  # rows one document may contribute through multi-value columns


class State(NamedTuple):
    """What a view may read of one document at one revision."""

    unid: str
    rev: str
    created: str
    modified: str
    parent_unid: str | None
    deleted: bool
    readers: tuple[str, ...] | None  # sorted folded names, None: everyone may read
    conflict: bool
    items: dict


def state_of(document, revision=None) -> State:
    """``document`` as it is now, or at ``revision`` (one of its revisions) for the keys it had then.

    Readers and the conflict mark are the document's current ones: they are row values, not
    parts of a key, so an older state needs them only to be complete.
    """
    current = revision if revision is not None else document.current()
    return State(document.unid, current.rev, document.created, current.timestamp, current.parent_unid,
                 current.deleted, tuple(sorted(document.readers)) if document.readers else None,
                 len(document.tree) > 1 and bool(document.conflicts()), current.items)


def _display(values: list) -> object:
    """A column value as JSON: a single value bare, several as a list, dates as ISO text."""
    shown = [v.isoformat() if isinstance(v, datetime | date) else v for v in values]
    return shown[0] if len(shown) == 1 else shown


class Entry(NamedTuple):
    """One row of a document in a view, with where it sorts."""

    key: tuple
    row: tuple
    resort_keys: tuple  # its sort key in each click-to-sort column (``ViewDefinition.resorted``)


def rows_for(definition: ViewDefinition, state: State, now: datetime | None = None) -> list[Entry]:
    """The entries a document in ``state`` has in the view (none if not selected)."""
    if state.deleted:
        return []
    environment = Environment(items=state.items, unid=state.unid, parent_unid=state.parent_unid,
                              created=state.created, modified=state.modified, user_name="", now=now)
    try:
        if not definition.selection.test(environment):
            return []
        values = [column.value.evaluate(environment) for column in definition.columns]
    except EvaluationError as error:
        log.warning("view %s leaves out document %s: %s", definition.name, state.unid, error)
        return []
    choices = [
        (values[i] or [""]) if column.multiple else [(values[i] or [""])[0]]
        for i, column in enumerate(definition.columns)
    ]
    entries = []
    for number, combination in enumerate(itertools.islice(itertools.product(*choices), MAX_EXPANSION)):
        key = tuple(
            column_key(combination[i], column.sort)
            for i, column in enumerate(definition.columns) if column.sort != "none"
        )
        if not definition.sorted_columns:
            key = ((TAIL - 1, state.created),)  # unsorted views list documents as created
        shown = tuple(
            _display([combination[i]] if column.multiple else values[i])
            for i, column in enumerate(definition.columns)
        )
        row = (state.unid, shown, state.readers, state.conflict)
        resort_keys = tuple(column_key(combination[i], "ascending") for i in definition.resorted)
        entries.append(Entry(key + ((TAIL, state.unid, number),), row, resort_keys))
    return entries


def number_sum(value: object) -> int | float:
    """What a total column adds up from one row: its numbers (all of a list's); text counts 0."""
    values = value if isinstance(value, list) else [value]
    return sum(v for v in values if isinstance(v, int | float) and not isinstance(v, bool))


class RowTotals(Measure):
    """A row's values in the view's total columns, for the branch sums of the row tree."""

    def __init__(self, columns: tuple[int, ...]) -> None:
        super().__init__(len(columns))
        self.columns = columns

    def __call__(self, row) -> tuple:
        return tuple(number_sum(row[1][i]) for i in self.columns)


class ViewIndex(Persistent):
    """The rows of one view over one database."""

    # The change number up to which this index holds every change, from its build or from a
    # read that caught it up (``views.journal``; 0: only what the journal's mark says): the
    # journal applies only later entries to it.
    through = 0

    def __init__(self, definition: dict, now: datetime | None = None) -> None:
        self.definition = definition  # the raw definition this index was built from
        # The clock every row of this index is computed with (views using @Today or @Now get a
        # new index each minute): the same state always gives the same rows, so they can be
        # found again to be removed.
        self.now = now
        totals = tuple(i for i, column in enumerate(definition.get("columns", [])) if column.get("totals"))
        # With total columns, the row tree sums them in its branches (a category's totals in one
        # descent) and the rows with Readers keep their share beside their keys.
        self.totals = RowTotals(totals) if totals else None
        self.entries = CountedTree(measure=self.totals)
        self.responses = OOBTree()  # parent UNID -> CountedTree of response rows
        # Top-level rows with Readers, again, per set of reader names: a caller's count in any
        # key range is the range's count minus the rows of the sets they may not see.
        self.restricted = OOBTree()  # sorted reader names -> CountedTree of keys
        # Click-to-sort column name -> its Resorting.
        self.resorted = OOBTree({column["name"]: Resorting()
                                 for column in definition.get("columns", []) if column.get("resort")})

    def _tree(self, definition: ViewDefinition, state: State, create: bool) -> CountedTree | None:
        parent = state.parent_unid if definition.responses else None
        if not parent:
            return self.entries
        tree = self.responses.get(parent)
        if tree is None and create:
            tree = self.responses[parent] = CountedTree()
        return tree

    def update(self, definition: ViewDefinition, old: State | None, new: State) -> None:
        """Move a document's rows from its ``old`` state (None: it had none) to its ``new`` one.

        Most saves change items a view does not show, or show without sorting by: then
        its rows keep their keys, and only the leaves whose rows changed are rewritten
        (none if nothing the view shows changed), not the counts above them.
        """
        before = rows_for(definition, old, self.now) if old is not None else []
        after = rows_for(definition, new, self.now)
        if before and after and self._replace_in_place(definition, old, new, before, after):
            return
        if before:
            self._discard(definition, old, before)
        self._add(definition, new, after)

    def _replace_in_place(self, definition: ViewDefinition, old: State, new: State,
                          before: list[Entry], after: list[Entry]) -> bool:
        """Overwrite rows whose keys stay, if the save moves no row; False: it moves some."""
        if definition.responses and old.parent_unid != new.parent_unid:
            return False
        if [entry.key for entry in before] != [entry.key for entry in after]:
            return False
        tree = self._tree(definition, new, create=False)
        stored = [tree.get(entry.key) for entry in before] if tree is not None else [None]
        if None in stored or any(row[2] != new.readers for row in stored):
            return False  # the Readers changed (or the rows are not where they should be)
        top = tree is self.entries
        for previous, (key, row, resort_keys), was in zip(before, after, stored, strict=True):
            if row == was:
                continue
            tree.insert(key, row)
            if (top and self.totals is not None and new.readers is not None
                    and self.totals(row) != self.totals(was)):
                self.restricted[new.readers].insert(key, self.totals(row))
            if top:
                for i, old_key, new_key in zip(definition.resorted, previous.resort_keys, resort_keys,
                                               strict=True):
                    if old_key != new_key:
                        resorting = self.resorted[definition.columns[i].name]
                        resorting.remove((old_key, *key), new.readers)
                        resorting.add((new_key, *key), new.readers)
        return True

    def add(self, definition: ViewDefinition, state: State) -> None:
        """Put in the rows ``state`` has in the view."""
        self._add(definition, state, rows_for(definition, state, self.now))

    def _add(self, definition: ViewDefinition, state: State, entries: list[Entry]) -> None:
        if not entries:
            return
        tree = self._tree(definition, state, create=True)
        top = tree is self.entries
        hidden = None
        if state.readers is not None and top:
            hidden = reader_set_tree(self.restricted, state.readers,
                                     Measure(self.totals.width) if self.totals else None)
        for key, row, resort_keys in entries:
            tree.insert(key, row)
            if hidden is not None:
                hidden.insert(key, self.totals(row) if self.totals else None)
            if top:
                for i, resort_key in zip(definition.resorted, resort_keys, strict=True):
                    self.resorted[definition.columns[i].name].add((resort_key, *key), state.readers)

    def discard(self, definition: ViewDefinition, state: State) -> None:
        """Take out the rows ``state`` put in (the readers come from the stored rows)."""
        self._discard(definition, state, rows_for(definition, state, self.now))

    def _discard(self, definition: ViewDefinition, state: State, entries: list[Entry]) -> None:
        tree = self._tree(definition, state, create=False) if entries else None
        if tree is None:
            return
        stored = tree.get(entries[0].key)
        if stored is None:
            log.error("view %s: the rows of %s at %s are not where they were put", definition.name,
                      state.unid, state.rev)
            return
        for entry in entries:
            tree.remove(entry.key)
        if tree is not self.entries:
            if not len(tree):
                del self.responses[state.parent_unid]
            return
        readers = stored[2]
        for key, _, resort_keys in entries:
            for i, resort_key in zip(definition.resorted, resort_keys, strict=True):
                self.resorted[definition.columns[i].name].remove((resort_key, *key), readers)
        if readers is not None:
            hidden = self.restricted[readers]
            for entry in entries:
                hidden.remove(entry.key)
            if not len(hidden):
                del self.restricted[readers]

    def visible_totals(self, may_see, low, high) -> list:
        """The total columns summed over the top-level rows in ``[low, high)`` that ``may_see`` allows."""
        totals = self.entries.sum_range(low, high)
        for readers, tree in self.restricted.items():
            if not may_see(readers):
                totals = [a - b for a, b in zip(totals, tree.sum_range(low, high), strict=True)]
        return totals

    def children(self, unid: str) -> CountedTree | None:
        return self.responses.get(unid)

    def documents(self) -> frozenset[str]:
        """The UNIDs of every row: the documents the view selects and the responses under them."""
        unids = {row[0] for _, row in self.entries.items()}
        for tree in self.responses.values():
            unids.update(row[0] for _, row in tree.items())
        return frozenset(unids)

    def view(self, name: str) -> ViewDefinition:
        """This index's own definition, compiled once per loaded object.

        While a changed view is rebuilt, the old index keeps serving and keeps following saves
        with the definition it was built from, not the design's new one.
        """
        compiled = getattr(self, "_v_view", None)
        if compiled is None or compiled.name != name:
            compiled = self._v_view = parse_view(name, self.definition)
        return compiled
