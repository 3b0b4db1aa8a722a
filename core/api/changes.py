"""``/api/databases/{db}/changes``: the feed, normal or longpoll.

``since`` is a sequence the client has seen; each document appears once, at
its latest change.  With ``feed=longpoll`` an empty answer waits up to
``timeout`` milliseconds (capped by ``domus.longpoll_max_seconds``) for the
next commit; the wait re-checks every half second to see writes made through
other servers sharing the storage, and takes one of the server's waiting
slots (``core.waiting``): with none free, or with the caller's share in use,
the answer is 429 ``too_many_waiting`` at once.
"""
from __future__ import annotations

from core import access
from core.api.body import int_param, page_size
from core.api.contexts import DatabaseContext
from core.changes import longpoll
from core.exceptions import BadRequest


def _visible(request, database, since, limit):
    changes = database.changes_since(since, limit)
    readable = access.readable_filter(request.identity, database)
    rows = []
    for change in changes:
        if readable(database.documents[change.unid]):
            row = {"seq": change.seq, "id": change.unid, "changes": [{"rev": change.rev}]}
            if change.deleted:
                row["deleted"] = True
            rows.append(row)
    last = changes[-1].seq if changes else since
    return rows, last, bool(changes)


def changes(context, request):
    since = int_param(request, "since", 0)
    limit = page_size(request)
    feed = request.params.get("feed", "normal")
    if feed not in {"normal", "longpoll"}:
        raise BadRequest(f"feed must be normal or longpoll, got {feed!r}")
    settings = request.registry.settings
    max_ms = int(settings["domus.longpoll_max_seconds"] * 1000)
    timeout_ms = int_param(request, "timeout", max_ms, 0)
    seconds = min(timeout_ms, max_ms) / 1000 if feed == "longpoll" else 0
    name = context.database.name

    def scan():
        rows, last, scanned = _visible(request, request.root_object.get_database(name), since, limit)
        return {"results": rows, "last_seq": last}, scanned

    return longpoll(request, name, seconds, scan)


def includeme(config) -> None:
    config.add_route("changes", "/api/databases/{db}/changes", factory=DatabaseContext)
    config.add_view(changes, route_name="changes", request_method="GET", renderer="json",
                    permission=access.READ)
