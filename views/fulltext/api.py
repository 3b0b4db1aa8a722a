"""``GET /api/databases/{db}/search``: full-text search of one database.

Parameters: ``q`` (Whoosh syntax, see ``views.fulltext.query``), ``view``
(only the documents that view selects), ``sort`` (an item name, ``created``
or ``modified``, ``-`` before it for descending; relevance when absent),
``start`` and ``count``.  Needs Reader access; rows, the total and the
scores leave out what the gate hides (``views.fulltext.search``); a query
over the bounds of ``domus.search_max_*`` is a 400.  While a database's index is being built from the
beginning (first start, or its folder was deleted) the answer is 503
``index_rebuilding`` with the progress, not a partial result that would
look complete.
"""
from __future__ import annotations

from core import access
from core.api import add_json_views
from core.api.body import int_param, page_size
from core.api.contexts import DatabaseContext
from core.exceptions import DomusError
from views import catalog
from views.fulltext.query import bounds_of, check_breadth, make_parser, parse
from views.fulltext.search import Search, run

RETRY_SECONDS = 2


class IndexRebuilding(DomusError):
    """The index is being built from the beginning: ask again in a moment."""

    status, code = 503, "index_rebuilding"


def _view_documents(database, name: str) -> frozenset[str] | None:
    """The UNIDs a view selects (its rows and the responses shown under them), through its index."""
    serving = catalog.serving(database, name)
    if serving is None:
        raise IndexRebuilding(f"view {name!r} is being built; search within it in a moment",
                              retry_after=RETRY_SECONDS)
    return serving[1].documents()


def search(context, request):
    database = context.database
    store = request.registry.fulltext
    text = request.params.get("q", "")
    view = request.params.get("view")
    if view:
        catalog.definition(database, view)  # an unknown view is a 404 whatever the index's state
    generation = store.current(database.name)
    checkpoint = generation.checkpoint() if generation is not None else None
    if checkpoint is None or not checkpoint.complete:
        if database.last_seq() == 0:
            parse(make_parser(), text)  # an empty database still refuses a bad query
            return {"total": 0, "start": 0, "rows": []}
        done = checkpoint.seq if checkpoint is not None else 0
        raise IndexRebuilding(
            f"the full-text index of {database.name!r} is being rebuilt; search again in a moment",
            retry_after=RETRY_SECONDS, progress={"done": done, "total": database.last_seq()})
    searcher = store.searcher(generation)
    query = parse(make_parser(), text)
    bounds = bounds_of(request.registry.settings)
    check_breadth(query, searcher.reader(), bounds)
    wanted = Search(
        query=query,
        start=int_param(request, "start", 0, 0, 100_000),
        count=page_size(request, "count"),
        sort=request.params.get("sort", "").strip(),
        within=_view_documents(database, view) if view else None,
    )
    return run(searcher, wanted, request.identity, database, indexed_seq=checkpoint.seq,
               seconds=bounds.seconds)


def includeme(config) -> None:
    config.add_route("search", "/api/databases/{db}/search", factory=DatabaseContext)
    add_json_views(config, ((search, "search", "GET", access.READ),))
