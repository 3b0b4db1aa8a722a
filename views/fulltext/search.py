"""Answering one search: the gate's mask, a view's documents, sorting, a page, snippets.

Visibility is decided by ``core.access`` and nothing else.  The index holds
one ``readers`` term per distinct set of Readers names; the gate's
``row_filter`` is asked about each set once, and the sets it refuses become
the search's *mask*, so hidden documents are neither returned nor counted.
Because the index may trail the database by a round, the documents changed
since the index's checkpoint that match are asked again against the stored
document, as is every row of the page: one the gate now refuses (or a
document deleted meanwhile) is dropped, as if it had not matched, from the
page and from the total alike.  So the total is the count of hits the live
gate lets through, even right after a document's Readers were narrowed.

Nothing else of a search depends on hidden documents either: scores use
the document's own text only (``views.fulltext.scoring``), and ``sort=``
takes any item name, whether or not some document holds it.  Finding the
hits may take at most ``domus.search_max_seconds``; a query that takes
longer is refused with 400 rather than answered in part.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from whoosh import collectors, sorting
from whoosh.query import Or, QueryError, Term
from whoosh.searching import TimeLimit

from core import access
from core.exceptions import BadRequest
from views.fulltext.schema import (
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
MAX_RECHECKED = 100_000  # changes since the index's checkpoint whose hits are asked of the gate again


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


def _sort_facet(sort: str):
    """The facet of ``sort``: whether any document holds the item is not asked (that would
    say whether hidden documents hold it); without it a document sorts first."""
    if not sort:
        return None, False
    descending, name = sort.startswith("-"), sort.lstrip("-")
    if name in FIXED_SORTS:
        return sorting.FieldFacet(name), descending
    if not name.isidentifier():
        raise BadRequest(f"cannot sort by {name!r}: use an item name, created or modified")
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


def _refused(document, may_read) -> bool:
    return document is None or document.deleted or not may_read(document)


def _refused_since(searcher, query, mask, only, database, may_read, indexed_seq: int) -> set[str]:
    """The hits among documents changed since ``indexed_seq`` that the live gate now refuses
    (their Readers were narrowed, or they were deleted, after the index last saw them)."""
    changed = {change.unid for change in database.changes_since(indexed_seq, MAX_RECHECKED)}
    numbers = {number for unid in changed
               if (number := searcher.document_number(unid=unid)) is not None}
    if only is not None:
        numbers &= only
    if not numbers:
        return set()
    hits = searcher.search(query, limit=None, mask=mask, filter=numbers, scored=False)
    return {hit["unid"] for hit in hits
            if _refused(database.documents.get(hit["unid"]), may_read)}


class Deadline(collectors.WrappingCollector):
    """Raises ``TimeLimit`` when the matching documents are still being walked after ``seconds``.

    Whoosh's ``TimeLimitCollector`` checks the time in its own loop, which a filtering
    collector around it never runs (and which, around one, would skip the filter); this
    checks it in the stream of matches that any collector around it walks, hidden ones too.
    """

    EVERY = 64  # matches between two looks at the clock

    def __init__(self, child, seconds: float) -> None:
        super().__init__(child)
        self.seconds = seconds

    def prepare(self, top_searcher, q, context):
        super().prepare(top_searcher, q, context)
        self.deadline = time.monotonic() + self.seconds

    def matches(self):
        for count, number in enumerate(self.child.matches()):
            if count % self.EVERY == 0 and time.monotonic() > self.deadline:
                raise TimeLimit
            yield number

    def collect_matches(self):  # when nothing is filtered, the collector walks the matches itself
        for number in self.matches():
            self.child.collect(number)


def _collect(searcher, search: Search, mask, only, facet, descending, seconds: float | None):
    """The hits of ``search``'s query, found in at most ``seconds``."""
    collector = searcher.collector(limit=search.start + search.count, sortedby=facet,
                                   reverse=descending)
    if seconds is not None:
        collector = Deadline(collector, seconds)
    collector = collectors.FilterCollector(collector, only, mask)
    try:
        searcher.search_with_collector(search.query, collector)
    except QueryError as error:  # a phrase in a field without positions (``files:"a b"``)
        raise BadRequest(f"{error}: phrases are searched in the whole text") from None
    except TimeLimit:
        raise BadRequest(f"the query took longer than {seconds:g} s (domus.search_max_seconds); "
                         "make it more specific") from None
    return collector.results()


def run(searcher, search: Search, principal, database, indexed_seq: int | None = None,
        seconds: float | None = None) -> dict[str, object]:
    """Total visible hits and one page of rows with scores and highlighted snippets.

    ``indexed_seq`` is the feed sequence the index is known to hold (None: all of it);
    ``seconds`` bounds the time finding the hits may take (None: no bound).
    """
    reader = searcher.reader()
    mask = hidden_mask(reader, access.row_filter(principal, database))
    only = documents_of(reader, search.within) if search.within is not None else None
    facet, descending = _sort_facet(search.sort)
    results = _collect(searcher, search, mask, only, facet, descending, seconds)
    may_read = access.readable_filter(principal, database)
    refused = set() if indexed_seq is None else _refused_since(
        searcher, search.query, mask, only, database, may_read, indexed_seq)
    total = len(results) - len(refused)
    terms = query_terms(search.query, reader)
    rows = []
    for hit in results[search.start:]:
        if hit["unid"] in refused:
            continue
        document = database.documents.get(hit["unid"])
        if _refused(document, may_read):
            total -= 1  # changed since the recheck above
            continue
        row = _summary(document)
        if facet is None:
            row["@score"] = round(hit.score, 4)
        attached = hit.get("attached")
        text = item_text(document.current())
        row["@snippet"] = snippet(f"{text}\n{attached}" if attached else text, terms)
        rows.append(row)
    return {"total": total, "start": search.start, "rows": rows}
