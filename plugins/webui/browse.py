"""Browsing: the list of databases, a database's outline of views, and the open view.

Counts are what the caller may read (``core.access.visible_count``); a
database the caller may not open is not listed at all.
"""
from __future__ import annotations

from pyramid.httpexceptions import HTTPSeeOther

from core import access
from core.api.contexts import DatabaseContext, ServerContext
from plugins.webui.i18n import in_language
from plugins.webui.pages import creatable_forms, database_title, outline, page
from plugins.webui.viewtable import PAGE_SIZE, Params, ViewPage
from views.definition import check_view_name

TEMPLATES = "plugins.webui:templates/"


class ViewContext(DatabaseContext):
    def __init__(self, request) -> None:
        super().__init__(request)
        self.view_name = check_view_name(request.matchdict["view"])


def home(context, request):
    principal, locale = request.identity, request.locale_name
    databases = [
        {"name": database.name, "title": database_title(database, locale),
         "documents": access.visible_count(principal, database)
         if access.may_read(principal, database) else None}
        for database in context.root.databases.values() if access.may_open(principal, database)
    ]
    return page(request, databases=databases)


def open_database(context, request):
    """A database opens on the first view of its outline, as Domino does."""
    database = context.database
    views = [view for entry in outline(database, request.locale_name) for view in entry["views"]]
    if views:
        target = request.route_path("ui.view", db=database.name, view=views[0]["name"])
        return HTTPSeeOther(location=target)
    return _database_page(request, database, view=None, table=None, params=Params())


def _database_page(request, database, **values) -> dict:
    locale = request.locale_name
    return page(request, database=database.name, database_title=database_title(database, locale),
                outline=outline(database, locale), forms=creatable_forms(request, database, False),
                **values)


def open_view(context, request):
    database, locale = context.database, request.locale_name
    params = Params.from_request(request)
    view_page = ViewPage(database, context.view_name, request.identity, locale, params)
    title = in_language(view_page.view.title, locale, view_page.view.name).replace("\\", " / ")
    return _database_page(request, database, params=params, table=view_page.table(),
                          view={"name": context.view_name, "title": title,
                                "categorized": bool(view_page.view.categories)},
                          page_size=PAGE_SIZE)


def includeme(config) -> None:
    config.add_route("ui.home", "/", factory=ServerContext)
    config.add_route("ui.database", "/db/{db}", factory=DatabaseContext)
    config.add_route("ui.view", "/db/{db}/views/{view}", factory=ViewContext)
    config.add_view(home, route_name="ui.home", request_method="GET",
                    renderer=TEMPLATES + "home.jinja2", permission=access.AUTHENTICATED)
    config.add_view(open_database, route_name="ui.database", request_method="GET",
                    renderer=TEMPLATES + "view.jinja2", permission=access.READ)
    config.add_view(open_view, route_name="ui.view", request_method="GET",
                    renderer=TEMPLATES + "view.jinja2", permission=access.READ)
