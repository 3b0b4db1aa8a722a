"""One place that turns every failure into ``{"error": CODE, "message": TEXT}``.

Expected errors (``DomusError``) keep their status; Pyramid's own HTTP errors
(no route, wrong method, permission denied) get the same JSON shape; anything
else is logged with its traceback and answered 500 without one.
"""
from __future__ import annotations

import logging

from pyramid.exceptions import BadCSRFOrigin, BadCSRFToken, PredicateMismatch
from pyramid.httpexceptions import HTTPException, HTTPForbidden, HTTPNotFound
from transaction.interfaces import TransientError

from core import access
from core.exceptions import DomusError, hidden_document

log = logging.getLogger(__name__)


def error_response(request, status: int, code: str, message: str, **extra: object):
    response = request.response
    response.status_int = status
    response.content_type = "application/json"
    body = {"error": code, "message": message}
    body.update(extra)
    return body


def domus_error(exc: DomusError, request):
    if "retry_after" in exc.details:
        request.response.headers["Retry-After"] = str(exc.details["retry_after"])
    return error_response(request, exc.status, exc.code, exc.message, **exc.details)


def forbidden(exc: HTTPForbidden, request):
    """404 for a document the caller may not see (as if absent), else 401 to log in, or 403.

    A browser gets no ``Basic`` challenge: it would remember the password and
    send it with forged cross-site requests; browsers log in with a session.
    """
    hidden = hidden_from_caller(request)
    if hidden is not None:
        return domus_error(hidden, request)
    principal = request.identity
    if principal is None:
        if "text/html" not in request.headers.get("Accept", ""):
            request.response.headers["WWW-Authenticate"] = 'Basic realm="Domus"'
        return error_response(request, 401, "unauthorized",
                              "log in: HTTP Basic, a bearer token or a session")
    return error_response(request, 403, "forbidden", "you may not do this here")


def hidden_from_caller(request) -> DomusError | None:
    """The "no such document" error when the request's document is hidden from the caller.

    Shared with the web UI, whose pages answer the same error as an HTML page.
    """
    principal = request.identity
    context = getattr(request, "context", None)
    database, document = getattr(context, "database", None), getattr(context, "document", None)
    if document is not None and access.may_read(principal, database) and not access.may_read(
        principal, database, document
    ):
        return hidden_document(database, document.unid)
    return None


def not_found(exc: HTTPNotFound, request):
    if isinstance(exc, PredicateMismatch):
        # A method a route does not take says nothing either about a document one may not see.
        hidden = hidden_from_caller(request)
        if hidden is not None:
            return domus_error(hidden, request)
        return error_response(
            request, 405, "method_not_allowed", f"{request.method} is not allowed on {request.path}"
        )
    return error_response(request, 404, "not_found", f"nothing at {request.path}")


def http_error(exc: HTTPException, request):
    code = exc.title.lower().replace(" ", "_")
    return error_response(request, exc.code, code, exc.detail or exc.explanation)


def conflict(exc: TransientError, request):
    return error_response(
        request, 409, "write_conflict", "the database is busy with concurrent writes; try again"
    )


def unexpected(exc: Exception, request):
    log.exception("unexpected error on %s %s", request.method, request.path)
    return error_response(request, 500, "internal_error", "an unexpected error occurred; it was logged")


def bad_csrf(exc: BadCSRFToken, request):
    return error_response(
        request, 403, "csrf_token_missing",
        "this form or request lacks a valid CSRF token (X-CSRF-Token header or csrf_token field)",
    )


def bad_origin(exc: BadCSRFOrigin, request):
    return error_response(request, 403, "bad_origin", "the request came from another site")


def includeme(config) -> None:
    config.add_exception_view(domus_error, context=DomusError, renderer="json")
    config.add_exception_view(bad_csrf, context=BadCSRFToken, renderer="json")
    config.add_exception_view(bad_origin, context=BadCSRFOrigin, renderer="json")
    config.add_forbidden_view(forbidden, renderer="json")
    config.add_notfound_view(not_found, renderer="json")
    config.add_exception_view(http_error, context=HTTPException, renderer="json")
    config.add_exception_view(conflict, context=TransientError, renderer="json")
    config.add_exception_view(unexpected, context=Exception, renderer="json")
