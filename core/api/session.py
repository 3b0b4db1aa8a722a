"""Logging in and out of the web UI: ``/api/session`` (JSON) and ``/login`` (an HTML form).

A login checks the password exactly as HTTP Basic does (same throttle, same
audit), then opens a server-side session and sets its cookie; the answer
carries the session's CSRF token, which every later unsafe request made with
the cookie must send back.  Logging out deletes the session, so a copied
cookie stops working at once.
"""
from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.interfaces import ISecurityPolicy
from pyramid.response import Response
from pyramid.security import forget, remember

from core.api.body import json_body
from core.api.contexts import ServerContext
from core.exceptions import BadRequest, Unauthorized

WRONG = {"ru": "Неверное имя или пароль.", "en": "Wrong user name or password."}


def _log_in(request, name: object, password: object):
    """The Principal and Set-Cookie headers for a correct person login, else Unauthorized."""
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
    principal, headers = _log_in(request, body.get("name"), body.get("password"))
    request.response.headerlist.extend(headers)
    return {"user": principal.name, "csrfToken": request.session_csrf_token()}


def log_out(context, request):
    request.writer.touched = True
    request.response.headerlist.extend(forget(request))
    return {"ok": True}


# -- the HTML form ---------------------------------------------------------
_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Domus — {title}</title></head>
<body><main>
<h1>Domus</h1>
<form method="post" action="/login">
<p role="alert">{error}</p>
<input type="hidden" name="next" value="{next}">
<p><label for="name">{name_label}</label><br>
<input id="name" name="name" autocomplete="username" required value="{name}"></p>
<p><label for="password">{password_label}</label><br>
<input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">{title}</button></p>
</form></main></body></html>
"""
_WORDS = {
    "ru": {"title": "Вход", "name_label": "Имя пользователя", "password_label": "Пароль"},
    "en": {"title": "Log in", "name_label": "User name", "password_label": "Password"},
}


def _language(request) -> str:
    return request.accept_language.best_match(("ru", "en"), "ru") if request.accept_language else "ru"


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (``//evil``, ``https://…``, ``\\\\``)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


def _page(request, status: int, error: str = "", name: str = "") -> Response:
    lang = _language(request)
    html = _PAGE.format(
        lang=lang, error=escape(error), next=escape(_safe_next(request.params.get("next"))),
        name=escape(name), **_WORDS[lang],
    )
    return Response(html, status=status, content_type="text/html", charset="utf-8")


def login_form(context, request):
    return _page(request, 200)


def login_submit(context, request):
    name, password = request.POST.get("name", ""), request.POST.get("password", "")
    try:
        _, headers = _log_in(request, name, password)
    except (BadRequest, Unauthorized):
        return _page(request, 401, WRONG[_language(request)], name)
    return HTTPSeeOther(location=_safe_next(request.POST.get("next")), headers=headers)


def logout_submit(context, request):
    request.writer.touched = True
    return HTTPSeeOther(location="/login", headers=forget(request))


def includeme(config) -> None:
    config.add_route("session", "/api/session", factory=ServerContext)
    config.add_route("login", "/login", factory=ServerContext)
    config.add_route("logout", "/logout", factory=ServerContext)
    config.add_view(session_info, route_name="session", request_method="GET", renderer="json")
    config.add_view(log_in, route_name="session", request_method="POST", renderer="json",
                    require_csrf=False)
    config.add_view(log_out, route_name="session", request_method="DELETE", renderer="json")
    config.add_view(login_form, route_name="login", request_method="GET")
    config.add_view(login_submit, route_name="login", request_method="POST", require_csrf=False)
    config.add_view(logout_submit, route_name="logout", request_method="POST")
