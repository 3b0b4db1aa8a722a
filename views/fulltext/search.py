"""Answering one search: the gate's mask, a view's documents, sorting, a page, snippets.

Visibility is decided by ``core.access`` and nothing else.  The index holds
one ``readers`` term per distinct set of Readers names; the gate's
``row_filter`` is asked about each set once, and the sets it refuses become
the search's *mask*, so hidden documents are neither returned nor counted.
Because the index may trail the database by a round, every row of the page
is asked again against the stored document, and a row the gate now refuses
(or a document deleted meanwhile) is dropped, as if it had not matched.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from whoosh import sorting
from whoosh.query import Or, QueryError, Term

from core import access
from core.exceptions import BadRequest
from views.fulltext.schema import (
    ITEMS,
    SORT_SEPARATOR,
    SORT_START,
    SORTS,
    item_key,
    item_text,
    readers_of_term,
)
from views.fulltext.snippets import query_terms, snippet

FIXED_SORTS = {"created", "modified"}
SUMMARY_CHARS = 200


@dataclass(frozen=True)
class Search:
    query: object  # a parsed Whoosh query
    start: int = 0
    count: int = 50
    sort: str = ""  # "" for relevance; an item name, "created" or "modified"; "-" before: descending
    within: frozenset[str] | None = None  # only these UNIDs (search within a view)


def hidden_mask(reader, may_see: Callable[[object], bool]):
    """A query for the documents whose Readers ``may_see`` refuses (None: the caller sees them all)."""
    hidden = [Term("readers", term) for term in reader.field_terms("readers")
              if not may_see(readers_of_term(term))]
    return Or(hidden) if hidden else None


def documents_of(reader, unids: frozenset[str]) -> set[int]:
    """Index positions of the UNIDs (a view's documents): one pass over the ``unid`` column."""
    column = reader.column_reader("unid")
    return {number for number in range(reader.doc_count_all()) if column[number] in unids}


class ItemFacet(sorting.FacetType):
    """Results by an item: its key in each document's ``sorts`` column (b"" without the item,
    so such documents come first, as Domino sorts empty values)."""

    def __init__(self, name: str) -> None:
        self.marker = SORT_START + item_key(name)[:-1].encode("utf-8") + SORT_SEPARATOR

    def categorizer(self, global_searcher):
        return _ItemKeys(self.marker)


class _ItemKeys(sorting.Categorizer):
    """The sort key of one item, per document of a segment."""

    def __init__(self, marker: bytes) -> None:
        self.marker = marker

    def set_searcher(self, segment_searcher, docoffset):
        self.column = segment_searcher.reader().column_reader(SORTS)

    def key_for(self, matcher, segment_docnum):
        keys = self.column[segment_docnum]
        at = keys.find(self.marker)
        if at < 0:
            return b""
        start = at + len(self.marker)
        end = keys.find(SORT_START, start)
        return keys[start:] if end < 0 else keys[start:end]


def _sort_facet(reader, sort: str):
    if not sort:
        return None, False
    descending, name = sort.startswith("-"), sort.lstrip("-")
    if name in FIXED_SORTS:
        return sorting.FieldFacet(name), descending
    if not name.isidentifier() or next(reader.expand_prefix(ITEMS, item_key(name)), None) is None:
        raise BadRequest(f"cannot sort by {name!r}: no document in the index has it "
                         "(use an item name, created or modified)")
    return ItemFacet(name), descending


def _summary(document) -> dict[str, object]:
    """The short scalar items of a hit, so a result list needs no second request."""
    revision = document.current()
    out: dict[str, object] = {"@unid": document.unid, "@rev": document.winner,
                              "@modified": revision.timestamp}
    for name, value in revision.items.items():
        if isinstance(value, str) and len(value) <= SUMMARY_CHARS or (
                isinstance(value, int | float) and not isinstance(value, bool)):
            out[name] = value
    return out


def run(searcher, search: Search, principal, database) -> dict[str, object]:
    """Total visible hits and one page of rows with scores and highlighted snippets."""
    reader = searcher.reader()
    mask = hidden_mask(reader, access.row_filter(principal, database))
    only = documents_of(reader, search.within) if search.within is not None else None
    facet, descending = _sort_facet(reader, search.sort)
    try:
        results = searcher.search(search.query, limit=search.start + search.count, mask=mask,
                                  filter=only, sortedby=facet, reverse=descending)
    except QueryError as error:  # a phrase in a field without positions (``files:"a b"``)
        raise BadRequest(f"{error}: phrases are searched in the whole text") from None
    total = len(results)
    terms = query_terms(search.query, reader)
    may_read = access.readable_filter(principal, database)
    rows = []
    for hit in results[search.start:]:
        document = database.documents.get(hit["unid"])
        if document is None or document.deleted or not may_read(document):
            total -= 1
            continue
        row = _summary(document)
        if facet is None:
            row["@score"] = round(hit.score, 4)
        attached = hit.get("attached")
        text = item_text(document.current())
        row["@snippet"] = snippet(f"{text}\n{attached}" if attached else text, terms)
        rows.append(row)
    return {"total": total, "start": search.start, "rows": rows}
