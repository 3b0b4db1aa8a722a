"""The top of the API: welcome, plugins, the caller's API tokens."""
from __future__ import annotations

import core
from core import access
from core.api.body import json_body
from core.api.contexts import ServerContext
from core.plugins import describe_plugins
from core.tokens import create_token, revoke_token, tokens_of
from core.writes import utc_now


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
    return {"tokens": [t.describe() for t in tokens_of(context.root, request.identity.name)]}


def add_token(context, request):
    body = json_body(request)
    label = body.get("label") if isinstance(body, dict) else None
    token, plain = create_token(context.root, request.identity.name, label, utc_now())
    request.response.status_int = 201
    return {**token.describe(), "token": plain}


def delete_token(context, request):
    revoke_token(context.root, request.matchdict["token_id"], request.identity.name)
    return {"ok": True}


def includeme(config) -> None:
    config.add_route("api", "/api", factory=ServerContext)
    config.add_route("plugins", "/api/plugins", factory=ServerContext)
    config.add_route("tokens", "/api/tokens", factory=ServerContext)
    config.add_route("token", "/api/tokens/{token_id}", factory=ServerContext)
    config.add_view(welcome, route_name="api", request_method="GET", renderer="json")
    config.add_view(plugins, route_name="plugins", request_method="GET", renderer="json",
                    permission=access.AUTHENTICATED)
    config.add_view(list_tokens, route_name="tokens", request_method="GET", renderer="json",
                    permission=access.AUTHENTICATED)
    config.add_view(add_token, route_name="tokens", request_method="POST", renderer="json",
                    permission=access.AUTHENTICATED)
    config.add_view(delete_token, route_name="token", request_method="DELETE", renderer="json",
                    permission=access.AUTHENTICATED)
