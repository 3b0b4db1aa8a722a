"""``GET /api/replication/history``: what the scheduled connections did, newest first.

Server administrators only: the entries name servers, databases and errors.
"""
from __future__ import annotations

from core import access
from core.api.body import int_param
from core.api.contexts import ServerContext
from core.identity import DIRECTORY
from replication.connections import newest_history


def replication_history(context, request):
    directory = context.root.databases.get(DIRECTORY)
    limit = int_param(request, "limit", 100, 1, 10000)
    return {"history": newest_history(directory, limit) if directory is not None else []}


def includeme(config) -> None:
    config.add_route("replication_history", "/api/replication/history", factory=ServerContext)
    config.add_view(replication_history, route_name="replication_history", request_method="GET",
                    renderer="json", permission=access.ADMINISTER)
