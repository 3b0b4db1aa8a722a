"""``/api/databases/{db}/acl``: Managers read and replace a database's ACL.

The new ACL is checked whole (``core.acl.parse_acl``) before it is stored; a
bad one is refused with 422 and changes nothing.  Each change is written to
the audit log after it commits, with the entries before and after.
"""
from __future__ import annotations

from core import access
from core.acl import acl_of, parse_acl, set_acl
from core.api.body import json_body
from core.api.contexts import DatabaseContext


def get_acl(context, request):
    return acl_of(context.database)


def put_acl(context, request):
    database = context.database
    before = acl_of(database)
    after = parse_acl(json_body(request))
    set_acl(database, after)
    request.writer.touched = True
    request.registry.audit.record_when_committed(
        request.tm.get(), "acl.changed", request.identity.name, request.client_addr,
        database=database.name, before=before, after=after,
    )
    return after


def includeme(config) -> None:
    config.add_route("acl", "/api/databases/{db}/acl", factory=DatabaseContext)
    config.add_view(get_acl, route_name="acl", request_method="GET", renderer="json",
                    permission=access.MANAGE)
    config.add_view(put_acl, route_name="acl", request_method="PUT", renderer="json",
                    permission=access.MANAGE)
