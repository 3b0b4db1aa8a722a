"""The JSON API under ``/api``: one module per resource, each with its ``includeme``."""
from __future__ import annotations


def add_json_views(config, table) -> None:
    """Register ``(view, route, method, permission)`` rows as JSON views: one table per module."""
    for view, route, method, permission in table:
        config.add_view(view, route_name=route, request_method=method, renderer="json",
                        permission=permission)



def includeme(config) -> None:
    config.include("core.api.errors")
    config.include("core.api.server")
    config.include("core.api.databases")
    config.include("core.api.documents")
    config.include("core.api.attachments")
    config.include("core.api.changes")
    config.include("core.api.acl")
    config.include("core.api.session")
    config.include("core.api.credentials")
