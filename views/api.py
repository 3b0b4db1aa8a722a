"""``/api/databases/{db}/views`` and ``/api/databases/{db}/design/views/{name}``.

Reading a view needs Reader access and shows only the rows the caller may
see; changing a view needs Designer access.  A changed view is rebuilt by the
worker while the old index keeps answering; its state says how far it is.
"""
from __future__ import annotations

from core import access
from core.api import add_json_views
from core.api.body import int_param, json_body, page_size
from core.api.contexts import DatabaseContext
from core.exceptions import BadRequest
from views import catalog
from views.definition import check_view_name, parse_view
from views.reading import Query, ViewReader, parse_key


class ViewContext(DatabaseContext):
    def __init__(self, request) -> None:
        super().__init__(request)
        self.view_name = check_view_name(request.matchdict["view"])


def _flag(request, name: str) -> bool:
    value = request.params.get(name, "false")
    if value not in {"true", "false", "1", "0"}:
        raise BadRequest(f"{name} must be true or false")
    return value in {"true", "1"}


def _key(request, name: str) -> object:
    value = request.params.get(name)
    return parse_key(value) if value is not None else None


def list_views(context, request):
    database = context.database
    return {"views": [
        {"name": name, "title": view.title, "categorized": bool(view.categories),
         "responses": view.responses, "columns": [
             {"name": c.name, "title": c.title, "sort": c.sort, "resort": c.resort} for c in view.columns],
         **catalog.state(database, name)}
        for name, view in sorted(catalog.definitions(database).items())
    ]}


def read_view(context, request):
    database, name = context.database, context.view_name
    serving = catalog.serving(database, name)
    if serving is None:
        return {"total": 0, "rows": [], **catalog.state(database, name)}
    view, index = serving
    query = Query(
        start=int_param(request, "start", 0, 0),
        count=page_size(request, "count"),
        key=_key(request, "key"),
        startkey=_key(request, "startkey"),
        category=_key(request, "category"),
        expand=_flag(request, "expand"),
        descending=_flag(request, "descending"),
        resort=request.params.get("resort") or None,
    )
    viewer_may_see = access.row_filter(request.identity, database)
    answer = ViewReader(view, index, viewer_may_see).read(query)
    return {**answer, **catalog.state(database, name)}


def get_design(context, request):
    view = catalog.definition(context.database, context.view_name)
    return {**view.describe(), **catalog.state(context.database, context.view_name)}


def put_design(context, request):
    database, name = context.database, context.view_name
    raw = json_body(request)
    parse_view(name, raw, database.design)  # refuses a bad view before anything changes
    design = dict(database.design)
    design["views"] = {**design.get("views", {}), name: raw}
    database.design = design
    catalog.schedule_build(database, name)
    request.writer.touched = True
    request.response.status_int = 202
    return {"name": name, **catalog.state(database, name)}


def delete_design(context, request):
    database, name = context.database, context.view_name
    catalog.definition(database, name)
    design = dict(database.design)
    design["views"] = {k: v for k, v in design.get("views", {}).items() if k != name}
    database.design = design
    catalog.forget(database, name)
    request.writer.touched = True
    return {"ok": True}


def includeme(config) -> None:
    config.add_route("views", "/api/databases/{db}/views", factory=DatabaseContext)
    config.add_route("view", "/api/databases/{db}/views/{view}", factory=ViewContext)
    config.add_route("view_design", "/api/databases/{db}/design/views/{view}", factory=ViewContext)
    add_json_views(config, (
        (list_views, "views", "GET", access.READ),
        (read_view, "view", "GET", access.READ),
        (get_design, "view_design", "GET", access.READ),
        (put_design, "view_design", "PUT", access.DESIGN),
        (delete_design, "view_design", "DELETE", access.DESIGN),
    ))
