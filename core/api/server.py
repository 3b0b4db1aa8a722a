"""The top of the API: welcome, plugins, the caller's API tokens, the audit log."""
from __future__ import annotations

import core
from core import access
from core.api.body import int_param, json_body
from core.api.contexts import ServerContext
from core.api.credentials import in_person, whose
from core.audit import EVENTS
from core.exceptions import BadRequest
from core.plugins import describe_plugins
from core.security import now_utc
from core.tokens import TokenScope, create_token, revoke_token, tokens_of


def welcome(context, request):
    principal = request.identity
    return {
        "domus": "Welcome",
        "version": core.__version__,
        "server_uuid": context.root.server_uuid,
        "user": principal.name if principal else None,
    }


def plugins(context, request):
    return {"plugins": describe_plugins(request.registry.pm)}


def list_tokens(context, request):
    """The caller's tokens, or ``?user=``'s for an administrator; never a secret."""
    return {"tokens": [t.describe() for t in tokens_of(context.root, whose(request))]}


def add_token(context, request):
    owner = in_person(request)
    scope = TokenScope.from_json(json_body(request), context.root.databases)
    token, plain = create_token(context.root, owner, scope, now_utc())
    request.writer.touched = True
    request.registry.audit.record_when_committed(
        request.tm.get(), "token.created", owner, request.client_addr,
        token=token.id, database=token.database, readOnly=token.read_only,
    )
    request.response.status_int = 201
    return {**token.describe(), "token": plain}


def delete_token(context, request):
    """Revoke one of the caller's tokens; an administrator revokes anyone's."""
    by = in_person(request)
    anyones = access.may_administer(request.identity, context.root)
    token = revoke_token(context.root, request.matchdict["token_id"], None if anyones else by)
    request.writer.touched = True
    request.registry.audit.record_when_committed(
        request.tm.get(), "token.revoked", token.owner, request.client_addr, token=token.id, by=by
    )
    return {"ok": True}


def audit_log(context, request):
    """The newest audit events: ``?limit=&event=&user=`` (server administrators only)."""
    limit = int_param(request, "limit", 100, 1, 10000)
    event = request.params.get("event") or None
    if event is not None and event not in EVENTS:
        raise BadRequest(f"event must be one of {', '.join(EVENTS)}")
    user = request.params.get("user") or None
    return {"events": request.registry.audit.newest(limit, event, user)}


def includeme(config) -> None:
    config.add_route("api", "/api", factory=ServerContext)
    config.add_route("plugins", "/api/plugins", factory=ServerContext)
    config.add_route("tokens", "/api/tokens", factory=ServerContext)
    config.add_route("token", "/api/tokens/{token_id}", factory=ServerContext)
    config.add_route("audit", "/api/audit", factory=ServerContext)
    config.add_view(audit_log, route_name="audit", request_method="GET", renderer="json",
                    permission=access.ADMINISTER)
    config.add_view(welcome, route_name="api", request_method="GET", renderer="json")
    config.add_view(plugins, route_name="plugins", request_method="GET", renderer="json",
                    permission=access.AUTHENTICATED)
    config.add_view(list_tokens, route_name="tokens", request_method="GET", renderer="json",
                    permission=access.AUTHENTICATED)
    config.add_view(add_token, route_name="tokens", request_method="POST", renderer="json",
                    permission=access.AUTHENTICATED)
    config.add_view(delete_token, route_name="token", request_method="DELETE", renderer="json",
                    permission=access.AUTHENTICATED)
