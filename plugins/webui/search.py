"""Full-text search pages: a database's documents, or one view's, found by their words.

The full-text engine is a plugin of its own (``views.fulltext``).  This page
asks the engine's own search function exactly what ``GET
/api/databases/{db}/search`` asks it — same parameters, same gate, same
refusals — and lays the answer out: a heading per hit, the highlighted
snippet (reduced to plain text and ``<mark>``), paging.  Without the engine
loaded the page says there is no search here.
"""
from __future__ import annotations

import nh3
from markupsafe import Markup

from core import access
from core.api.contexts import DatabaseContext
from core.exceptions import DomusError, NotFound
from plugins.webui.document import document_heading, form_of
from plugins.webui.formatting import show_datetime
from plugins.webui.i18n import _, in_language
from plugins.webui.pages import creatable_forms, database_title, outline, page
from views import catalog

TEMPLATE = "plugins.webui:templates/search.jinja2"
PAGE_SIZE = 20


def _engine(request):
    """The full-text engine's search function, or None where the engine is not loaded."""
    if getattr(request.registry, "fulltext", None) is None:
        return None
    from views.fulltext.api import search  # only where that plugin is loaded

    return search


def _snippet(html: object) -> Markup:
    return Markup(nh3.clean(html, tags={"mark"}, attributes={})) if isinstance(html, str) else Markup("")


def _hits(database, rows: list[dict], locale: str) -> list[dict]:
    hits = []
    for row in rows:
        _name, form = form_of(database, row)
        hits.append({"unid": row["@unid"], "heading": document_heading(database, row, locale),
                     "form": in_language(form.get("title"), locale, ""),
                     "snippet": _snippet(row.get("@snippet")),
                     "modified": show_datetime(row.get("@modified", ""), locale)})
    return hits


def search_page(context, request):
    database, locale = context.database, request.locale_name
    text = request.params.get("q", "").strip()
    view_name = request.params.get("view") or None
    view_title = None
    if view_name is not None:
        view_title = in_language(catalog.definition(database, view_name).title, locale,
                                 view_name).replace("\\", " / ")
    engine = _engine(request)
    if engine is None:
        raise NotFound(f"database {database.name!r} has no full-text search on this server")
    values = {"query": text, "view_name": view_name, "view_title": view_title, "hits": None,
              "total": 0, "problem": None, "previous": None, "next": None, "first": 0, "last": 0}
    if text:
        request.GET.setdefault("count", str(PAGE_SIZE))  # the engine reads its page size here
        try:
            answer = engine(context, request)
        except DomusError as refused:
            request.response.status_int = refused.status
            values["problem"] = (_("The search index is being built; try again in a moment.")
                                 if refused.status == 503 else refused.message)
        else:
            values.update(_paging(request, answer))
            values["hits"] = _hits(database, answer["rows"], locale)
    return page(request, database=database.name, database_title=database_title(database, locale),
                outline=outline(database, locale), forms=creatable_forms(request, database, False),
                view=None, **values)


def _paging(request, answer: dict) -> dict:
    start, shown, total = answer["start"], len(answer["rows"]), answer["total"]
    count = int(request.GET["count"])
    here = {key: value for key, value in request.GET.items() if key != "start"}
    return {"total": total, "first": min(start + 1, total), "last": start + shown,
            "previous": {**here, "start": max(0, start - count)} if start > 0 else None,
            "next": {**here, "start": start + count} if start + count < total else None}


def includeme(config) -> None:
    config.add_route("ui.search", "/db/{db}/search", factory=DatabaseContext)
    config.add_view(search_page, route_name="ui.search", request_method="GET", renderer=TEMPLATE,
                    permission=access.READ)
