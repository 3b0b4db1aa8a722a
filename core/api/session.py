"""Logging in and out of the web UI: ``/api/session`` (JSON); the UI's ``/login`` page reuses it.

A login checks the password exactly as HTTP Basic does (same throttle, same
audit), then opens a server-side session and sets its cookie; the answer
carries the session's CSRF token, which every later unsafe request made with
the cookie must send back.  Logging out deletes the session, so a copied
cookie stops working at once.

A login must come from this site (``core.login_csrf``: another site's Origin
is refused), and it is never stopped by a stale cookie the browser still
sends (``logs_in=True``): that is what logging in again is for.
"""
from __future__ import annotations

from pyramid.interfaces import ISecurityPolicy
from pyramid.security import forget, remember

from core.api.body import json_body
from core.api.contexts import ServerContext
from core.exceptions import BadRequest, Unauthorized
from core.login_csrf import check_origin

WRONG = {"ru": "Неверное имя или пароль.", "en": "Wrong user name or password."}


def password_login(request, name: object, password: object):
    """The Principal and Set-Cookie headers for a correct person login, else Unauthorized."""
    check_origin(request)
    if not isinstance(name, str) or not isinstance(password, str) or not name or len(name) > 256:
        raise BadRequest("send a user name and a password")
    policy = request.registry.getUtility(ISecurityPolicy)
    principal = policy.check_password(request, name, password, "session")
    if principal is None or principal.kind != "person":
        raise Unauthorized(WRONG["en"])
    request.writer.touched = True
    headers = remember(request, principal.name, principal=principal)
    return principal, headers


def session_info(context, request):
    principal = request.identity
    info = {"user": principal.name if principal else None}
    if principal is not None:
        info.update(kind=principal.kind, via=principal.via)
    if principal is not None and principal.via == "session":
        info["csrfToken"] = request.session_csrf_token()
    return info


def log_in(context, request):
    body = json_body(request)
    if not isinstance(body, dict):
        raise BadRequest('send {"name": "…", "password": "…"}')
    principal, headers = password_login(request, body.get("name"), body.get("password"))
    request.response.headerlist.extend(headers)
    return {"user": principal.name, "csrfToken": request.session_csrf_token()}


def log_out(context, request):
    request.writer.touched = True
    request.response.headerlist.extend(forget(request))
    return {"ok": True}


def includeme(config) -> None:
    config.add_route("session", "/api/session", factory=ServerContext)
    config.add_view(session_info, route_name="session", request_method="GET", renderer="json")
    config.add_view(log_in, route_name="session", request_method="POST", renderer="json",
                    require_csrf=False, logs_in=True)
    config.add_view(log_out, route_name="session", request_method="DELETE", renderer="json")
