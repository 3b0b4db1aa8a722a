"""Error pages for the UI's routes: the same statuses and words as the API, as HTML.

A reader who is not logged in is sent to the login page; a document the
gate hides answers exactly like one that does not exist (404, the same
words).  Routes outside the UI keep the API's JSON errors: these views carry
a predicate that matches only the UI's routes.
"""
from __future__ import annotations

from pyramid.exceptions import BadCSRFOrigin, BadCSRFToken
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.renderers import render_to_response

from core.api.errors import hidden_from_caller
from core.exceptions import DomusError
from plugins.webui.i18n import _
from plugins.webui.pages import PREFIX, page

TEMPLATE = "plugins.webui:templates/error.jinja2"
NOT_PAGES = ("/api/", "/replication/", "/public/")  # their clients read JSON errors


class UiRoutePredicate:
    """``ui_page=True``: the request matched one of the UI's routes, or a browser asked for a page
    at an address that matches no route and is not the API's."""

    def __init__(self, value: bool, config) -> None:
        self.value = value

    def text(self) -> str:
        return f"ui_page = {self.value}"

    phash = text

    def __call__(self, context, request) -> bool:
        route = getattr(request, "matched_route", None)
        if route is not None:
            return route.name.startswith(PREFIX) == self.value
        browsing = ("text/html" in request.headers.get("Accept", "")
                    and not request.path.startswith(NOT_PAGES))
        return browsing == self.value


def error_page(request, status: int, message: object, title: object | None = None,
               detail: str | None = None):
    body = page(request, status=status, title=title or _("Something went wrong"), message=message,
                detail=detail)
    response = render_to_response(TEMPLATE, body, request=request)
    response.status_int = status
    return response


def domus_error(exc: DomusError, request):
    """The status's words in the reader's language, and the server's own detail beneath."""
    title, explanation = _ERRORS.get(exc.status, (None, _("The server could not do this.")))
    response = error_page(request, exc.status, explanation, title, detail=exc.message)
    if "retry_after" in exc.details:
        response.headers["Retry-After"] = str(exc.details["retry_after"])
    return response


_ERRORS = {
    400: (_("The request was not understood"),
          _("The address or the form holds something the server cannot use.")),
    401: (_("Please log in"), _("Log in to continue.")),
    403: (_("Not allowed"), _("You may not do this here.")),
    404: (_("Not found"), _("It does not exist, or you may not read it.")),
    409: (_("Changed meanwhile"), _("Someone else changed it meanwhile. Open it again.")),
    413: (_("Too large"), _("This is larger than the server accepts.")),
    422: (_("Not valid"), _("The data is not valid.")),
    429: (_("Too many attempts"), _("Too many failed logins: wait a little and try again.")),
}


def forbidden(exc: HTTPForbidden, request):
    hidden = hidden_from_caller(request)
    if hidden is not None:
        return domus_error(hidden, request)
    if request.identity is None:
        login = request.route_path("ui.login", _query={"next": request.path_qs})
        return HTTPSeeOther(location=login)
    return error_page(request, 403, _("You may not do this here."), _("Not allowed"))


def not_found(exc: HTTPNotFound, request):
    return error_page(request, 404, _("Nothing is here."), _("Not found"))


def bad_csrf(exc: Exception, request):
    return error_page(request, 403, _("This form has expired. Go back, reload the page and try "
                                      "again."), _("Not allowed"))


def includeme(config) -> None:
    config.add_view_predicate("ui_page", UiRoutePredicate)
    for view, context in ((domus_error, DomusError), (bad_csrf, BadCSRFToken),
                          (bad_csrf, BadCSRFOrigin)):
        config.add_exception_view(view, context=context, ui_page=True)
    config.add_forbidden_view(forbidden, ui_page=True)
    config.add_notfound_view(not_found, ui_page=True)
