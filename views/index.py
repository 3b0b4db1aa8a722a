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
``update`` returns a *placement* (the parent and the keys of the rows it
made) and takes the previous one, so an update removes exactly the old rows;
the catalog keeps every view's placements of a document in one record, so a
save rewrites one locator, not one per view.
"""
from __future__ import annotations

import itertools
import logging
import os
from datetime import date, datetime

from BTrees.OOBTree import OOBTree
from persistent import Persistent

from views.collation import TAIL, column_key
from views.definition import ViewDefinition
from views.formula import Environment, EvaluationError
from views.ordered import CountedTree

log = logging.getLogger(__name__)
MAX_EXPANSION = 100  # rows one document may contribute through multi-value columns


def _display(values: list) -> object:
    """A column value as JSON: a single value bare, several as a list, dates as ISO text."""
    shown = [v.isoformat() if isinstance(v, datetime | date) else v for v in values]
    return shown[0] if len(shown) == 1 else shown


def document_environment(document, now: datetime | None) -> Environment:
    current = document.current()
    return Environment(items=current.items, unid=document.unid, parent_unid=current.parent_unid,
                       created=document.created, modified=current.timestamp,
                       user_name="", now=now)


def rows_for(definition: ViewDefinition, document, now: datetime | None = None) -> list[tuple]:
    """The ``(key, row)`` entries ``document`` has in the view (none if not selected)."""
    if document.deleted:
        return []
    environment = document_environment(document, now)
    try:
        if not definition.selection.test(environment):
            return []
        values = [column.value.evaluate(environment) for column in definition.columns]
    except EvaluationError as error:
        log.warning("view %s leaves out document %s: %s", definition.name, document.unid, error)
        return []
    readers = tuple(sorted(document.readers)) if document.readers else None
    conflict = len(document.tree) > 1 and bool(document.conflicts())
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
            key = ((TAIL - 1, document.created),)  # unsorted views list documents as created
        shown = tuple(
            _display([combination[i]] if column.multiple else values[i])
            for i, column in enumerate(definition.columns)
        )
        entries.append((key + ((TAIL, document.unid, number),), (document.unid, shown, readers, conflict)))
    return entries


class ViewIndex(Persistent):
    """The rows of one view over one database."""

    def __init__(self, definition: dict) -> None:
        self.id = os.urandom(6).hex()  # names this index's placements in the catalog
        self.definition = definition  # the raw definition this index was built from
        self.entries = CountedTree()
        self.responses = OOBTree()  # parent UNID -> CountedTree of response rows
        # Top-level rows with Readers, again, per set of reader names: a caller's count in any
        # key range is the range's count minus the rows of the sets they may not see.
        self.restricted = OOBTree()  # sorted reader names -> CountedTree of keys

    def update(self, definition: ViewDefinition, document, now: datetime | None = None,
               placement: list | None = None) -> list | None:
        """Replace ``document``'s rows (at ``placement``) by what it shows now; the new placement."""
        if placement is not None:
            self.remove(placement)
        entries = rows_for(definition, document, now)
        if not entries:
            return None
        parent = document.current().parent_unid if definition.responses else None
        tree = self.entries
        if parent:
            tree = self.responses.get(parent)
            if tree is None:
                tree = self.responses[parent] = CountedTree()
        readers = entries[0][1][2]
        hidden = None
        if readers is not None and not parent:
            hidden = self.restricted.get(readers)
            if hidden is None:
                hidden = self.restricted[readers] = CountedTree()
        for key, row in entries:
            tree.insert(key, row)
            if hidden is not None:
                hidden.insert(key, None)
        return [parent, [key for key, _ in entries]]

    def remove(self, placement: list) -> None:
        """Take out the rows at ``placement`` (what ``update`` returned)."""
        parent, keys = placement
        tree = self.responses.get(parent) if parent else self.entries
        readers = tree.get(keys[0])[2]
        for key in keys:
            tree.remove(key)
        if parent and not len(tree):
            del self.responses[parent]
        if readers is not None and not parent:
            hidden = self.restricted[readers]
            for key in keys:
                hidden.remove(key)
            if not len(hidden):
                del self.restricted[readers]

    def hidden_count(self, may_see, low, high) -> int:
        """Top-level rows in ``[low, high)`` (keys; None: unbounded) that ``may_see`` refuses."""
        hidden = 0
        for readers, tree in self.restricted.items():
            if not may_see(readers):
                hidden += tree.rank(high) if high is not None else len(tree)
                hidden -= tree.rank(low) if low is not None else 0
        return hidden

    def children(self, unid: str) -> CountedTree | None:
        return self.responses.get(unid)
