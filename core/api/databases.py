"""``/api/databases``: list, create and describe databases."""
from __future__ import annotations

from core import access
from core.api.body import json_body
from core.api.contexts import DatabaseContext, ServerContext
from core.database import check_database_name
from core.exceptions import BadRequest
from core.templates import database_from_template, install_database


def database_info(principal, database) -> dict[str, object]:
    """What the caller may know of a database: counts only of what they may read."""
    return {
        "name": database.name,
        "title": database.title,
        "template": database.template,
        "replicaId": database.replica_id,
        "documents": access.visible_count(principal, database),
        "updateSeq": database.last_seq(),
        "purgeIntervalDays": database.purge_interval_days,
        "access": access.database_access(principal, database).describe(),
    }


def list_databases(context, request):
    principal = request.identity
    return {
        "databases": [
            database_info(principal, db)
            for db in context.root.databases.values()
            if access.may_open(principal, db)
        ]
    }


def create_database(context, request):
    body = json_body(request)
    if not isinstance(body, dict):
        raise BadRequest('send {"name": "…", "template": "…"}')
    name = check_database_name(body.get("name"))
    title = body.get("title")
    if title is not None and not (
        isinstance(title, dict) and all(isinstance(v, str) for v in title.values())
    ):
        raise BadRequest('title must be an object of strings by language, e.g. {"ru": "…", "en": "…"}')
    template = body.get("template", name)
    if not isinstance(template, str):
        raise BadRequest("template must be the name of a template")
    database = database_from_template(request.registry.templates, template, name=name, title=title)
    install_database(context.root, request.registry.pm, database)
    request.response.status_int = 201
    return database_info(request.identity, database)


def get_database(context, request):
    return database_info(request.identity, context.database)


def includeme(config) -> None:
    config.add_route("databases", "/api/databases", factory=ServerContext)
    config.add_route("database", "/api/databases/{db}", factory=DatabaseContext)
    config.add_view(list_databases, route_name="databases", request_method="GET",
                    renderer="json", permission=access.AUTHENTICATED)
    config.add_view(create_database, route_name="databases", request_method="POST",
                    renderer="json", permission=access.CREATE_DATABASE)
    config.add_view(get_database, route_name="database", request_method="GET",
                    renderer="json", permission=access.OPEN)
