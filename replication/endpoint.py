"""``/replication``: routing and errors of the CouchDB-protocol endpoint.

One route takes every path under ``/replication``; its context parses the
*raw* request path, because a document id may hold ``%2F`` (a slash that is
not a path separator) and the decoded path has lost the difference.  Each
operation (``_changes``, ``_bulk_docs``, a document, an attachment, …) is a
view selected by the ``replication_op`` predicate with its own permission, so
the gate (``core.access``) decides through Pyramid's security policy before a
view runs.  Errors take CouchDB's shape, ``{"error", "reason"}``, which is what
replicators read; a document hidden by its Readers answers exactly like one
that does not exist.
"""
from __future__ import annotations

import logging
from urllib.parse import unquote, urlsplit

from pyramid.exceptions import PredicateMismatch
from pyramid.httpexceptions import HTTPException, HTTPForbidden, HTTPNotFound
from transaction.interfaces import TransientError

from core import access
from core.exceptions import DatabaseNotFound, DocumentNotFound, DomusError, NotFound

log = logging.getLogger(__name__)

ROUTE = "replication"
PREFIX = "/replication"
DATABASE_OPS = {"_changes": "changes", "_revs_diff": "revs_diff", "_bulk_docs": "bulk_docs",
                "_bulk_get": "bulk_get", "_all_docs": "all_docs",
                "_ensure_full_commit": "ensure_full_commit"}
#: POSTs that only ask (too long for a URL): they run as reads, not in the writers' turn.
READING_OPS = frozenset({"changes", "revs_diff", "bulk_get", "all_docs", "ensure_full_commit"})
#: CouchDB's error names for ours, where they differ.
COUCH_CODES = {"exists": "file_exists", "too_large": "too_large", "deleted": "not_found"}


def raw_segments(request) -> list[str]:
    """The path below ``/replication``, split on real slashes, then each part decoded."""
    raw = request.environ.get("REQUEST_URI") or request.environ.get("RAW_URI")
    path = urlsplit(raw).path if raw else request.script_name + request.path_info
    start = path.find(PREFIX, len(request.script_name) if path.startswith(request.script_name) else 0)
    rest = path[start + len(PREFIX):] if start >= 0 else ""
    if rest and not rest.startswith("/"):
        raise NotFound("missing")
    parts = [unquote(part) for part in rest.split("/")[1:]]
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def classify(parts: list[str]) -> tuple[str, str | None, str | None, str | None]:
    """``(operation, database name, document or _local id, attachment name)`` of a path."""
    if not parts:
        return "welcome", None, None, None
    db, rest = parts[0], parts[1:]
    if not rest:
        return "database", db, None, None
    head = rest[0]
    if head in DATABASE_OPS and len(rest) == 1:
        return DATABASE_OPS[head], db, None, None
    if head == "_local" and len(rest) > 1:
        return "local", db, "/".join(rest[1:]), None
    if head.startswith("_"):
        raise NotFound(f"{head} is not supported by this endpoint")
    if len(rest) == 1:
        return "document", db, head, None
    return "attachment", db, head, "/".join(rest[1:])


class ReplicationContext:
    """What one request under ``/replication`` is about, loaded for the gate."""

    database = None
    document = None

    def __init__(self, request) -> None:
        self.root = request.root_object
        self.op, self.db_name, self.key, self.attachment = classify(raw_segments(request))
        if self.db_name is None:
            return
        if self.op == "database" and request.method == "PUT":
            self.database = self.root.databases.get(self.db_name)
            return
        self.database = self.root.get_database(self.db_name)
        if self.op in ("document", "attachment"):
            self.document = self.database.documents.get(self.key)
            if self.document is None and access.may_read(request.identity, self.database):
                raise DocumentNotFound("missing")
            # Who may not read the database is refused by the gate before learning more.


class OperationPredicate:
    """View predicate ``replication_op``: which operation of the endpoint a view serves."""

    def __init__(self, value: str, config) -> None:
        self.value = value

    def text(self) -> str:
        return f"replication_op = {self.value}"

    phash = text

    def __call__(self, context, request) -> bool:
        return getattr(context, "op", None) == self.value


def couch_error(request, status: int, code: str, reason: str) -> dict[str, str]:
    response = request.response
    response.status_int = status
    response.content_type = "application/json"
    return {"error": code, "reason": reason}


def domus_error(exc: DomusError, request):
    if isinstance(exc, DatabaseNotFound):
        return couch_error(request, 404, "not_found", "Database does not exist.")
    if isinstance(exc, DocumentNotFound):
        return couch_error(request, 404, "not_found", "missing")
    if "retry_after" in exc.details:
        request.response.headers["Retry-After"] = str(exc.details["retry_after"])
    return couch_error(request, exc.status, COUCH_CODES.get(exc.code, exc.code), exc.message)


def forbidden(exc: HTTPForbidden, request):
    """A hidden document is 'missing', like an absent one; else 401 to log in, or 403."""
    principal = request.identity
    context = getattr(request, "context", None)
    database, document = getattr(context, "database", None), getattr(context, "document", None)
    if document is not None and access.may_read(principal, database):
        return couch_error(request, 404, "not_found", "missing")
    if principal is None:
        request.response.headers["WWW-Authenticate"] = 'Basic realm="Domus"'
        return couch_error(request, 401, "unauthorized", "log in: HTTP Basic or a bearer token")
    return couch_error(request, 403, "forbidden", "you may not do this here")


def not_found(exc: HTTPNotFound, request):
    if isinstance(exc, PredicateMismatch):
        return couch_error(request, 405, "method_not_allowed",
                           f"{request.method} is not allowed on {request.path}")
    return couch_error(request, 404, "not_found", "missing")


def http_error(exc: HTTPException, request):
    return couch_error(request, exc.code, exc.title.lower().replace(" ", "_"),
                       exc.detail or exc.explanation)


def busy(exc: TransientError, request):
    return couch_error(request, 409, "conflict", "the database is busy with concurrent writes; retry")


def unexpected(exc: Exception, request):
    log.exception("unexpected error on %s %s", request.method, request.path)
    return couch_error(request, 500, "internal_error", "an unexpected error occurred; it was logged")


def asks_only(request) -> bool:
    """Is this POST one of the replication questions that write nothing (``READING_OPS``)?"""
    if not request.path_info.startswith(PREFIX + "/"):
        return False
    try:
        return classify(raw_segments(request))[0] in READING_OPS
    except NotFound:
        return False


def includeme(config) -> None:
    config.add_reading_post(asks_only)
    config.add_view_predicate("replication_op", OperationPredicate)
    config.add_route(ROUTE, PREFIX + "*rest", factory=ReplicationContext)
    for view, context in ((domus_error, DomusError), (http_error, HTTPException),
                          (busy, TransientError), (unexpected, Exception)):
        config.add_exception_view(view, context=context, route_name=ROUTE, renderer="json")
    config.add_forbidden_view(forbidden, route_name=ROUTE, renderer="json")
    config.add_notfound_view(not_found, route_name=ROUTE, renderer="json")
    config.include("replication.handlers")
