"""Logging in and out with a form, and choosing the language.

The password is checked by the same function as ``POST /api/session``
(same throttle, same audit, same Origin check); the form posts back only to
this site and carries a pre-session token (``core.login_csrf``), so another
site cannot log a visitor in as someone else.  The language is a cookie, so
it is remembered on the device before login too.
"""
from __future__ import annotations

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import forget
from webob.cookies import make_cookie

from core.api.contexts import ServerContext
from core.api.session import password_login
from core.exceptions import BadRequest, Unauthorized
from core.login_csrf import check_form_token, form_token
from plugins.webui.i18n import LANGUAGE_COOKIE, LANGUAGES, _
from plugins.webui.pages import page, safe_next

TEMPLATE = "plugins.webui:templates/login.jinja2"
ONE_YEAR = 365 * 24 * 3600


def login_form(context, request):
    return page(request, next=safe_next(request.params.get("next")), error=None, name="",
                login_token=form_token(request))


def login_submit(context, request):
    check_form_token(request)
    name, password = request.POST.get("name", ""), request.POST.get("password", "")
    target = safe_next(request.POST.get("next"))
    try:
        _principal, headers = password_login(request, name, password)
    except (BadRequest, Unauthorized):
        request.response.status_int = 401
        return page(request, next=target, error=_("Wrong user name or password."), name=name,
                    login_token=form_token(request))
    return HTTPSeeOther(location=target, headers=headers)


def logout_submit(context, request):
    request.writer.touched = True  # the session record is deleted
    return HTTPSeeOther(location=request.route_path("ui.login"), headers=forget(request))


def choose_language(context, request):
    language = request.POST.get("language")
    if language not in LANGUAGES:
        raise BadRequest(f"language must be one of {', '.join(LANGUAGES)}")
    answer = HTTPSeeOther(location=safe_next(request.POST.get("next")))
    answer.headers.add("Set-Cookie", make_cookie(LANGUAGE_COOKIE, language, max_age=ONE_YEAR,
                                                 path="/", httponly=True, samesite="Lax"))
    return answer


def includeme(config) -> None:
    config.add_route("ui.login", "/login", factory=ServerContext)
    config.add_route("ui.logout", "/logout", factory=ServerContext)
    config.add_route("ui.language", "/language", factory=ServerContext)
    config.add_view(login_form, route_name="ui.login", request_method="GET", renderer=TEMPLATE,
                    logs_in=True)
    config.add_view(login_submit, route_name="ui.login", request_method="POST", renderer=TEMPLATE,
                    require_csrf=False, logs_in=True)
    config.add_view(logout_submit, route_name="ui.logout", request_method="POST")
    config.add_view(choose_language, route_name="ui.language", request_method="POST")
