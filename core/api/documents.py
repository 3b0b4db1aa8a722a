"""``/api/databases/{db}/documents``: create, read, update, delete, restore.

PUT and DELETE must name the revision they change (``If-Match`` or ``@rev``):
a stale or forged one is 409, so no update is ever lost.  A bulk POST is one
transaction: one bad document refuses the whole batch and says which.
``…/resolve`` ends a replication conflict by keeping one revision (or a merged
body) and deleting the losing branches.
"""
from __future__ import annotations

import re

from pyramid.response import Response

from core import access
from core.api import add_json_views
from core.api.body import int_param, json_body, page_size, revision_from
from core.api.contexts import DatabaseContext, DocumentContext
from core.api.serialize import document_json, history_entry, written
from core.exceptions import (
    AccessDenied,
    BadRequest,
    DocumentNotFound,
    DomusError,
    PayloadTooLarge,
    hidden_document,
)
from core.items import split_document_json

_UNID = re.compile(r"^[0-9A-Fa-f]{32}$")


def _split(body) -> tuple[dict, dict]:
    """Items and metadata of one posted document, refused before anything is written."""
    items, meta = split_document_json(body)
    unid = meta.get("@unid")
    if unid is not None and not (isinstance(unid, str) and _UNID.match(unid)):
        raise BadRequest(f"@unid must be 32 hex digits, got {unid!r}")
    return items, meta


def _visible_parent(request, database, parent: object) -> None:
    """A response may only be filed under a document its author can see: else it is 'not found'."""
    document = database.documents.get(parent) if isinstance(parent, str) else None
    if document is not None and not access.may_read(request.identity, database, document):
        raise hidden_document(database, parent)


def _create(request, database, items: dict, meta: dict):
    unid = meta.get("@unid")
    _visible_parent(request, database, meta.get("@parent"))
    return request.writer.create(database, items, meta.get("@parent"), unid.upper() if unid else None)


def _numbered(index: int, error: DomusError) -> DomusError:
    error.message = f"document {index}: {error.message}"
    error.details["index"] = index
    return error


def create_documents(context, request):
    body = json_body(request)
    database = context.database
    request.response.status_int = 201
    if not isinstance(body, list):
        return written(_create(request, database, *_split(body)))
    limit = request.registry.settings["domus.max_bulk_documents"]
    if not body:
        raise BadRequest("the bulk write is empty: send at least one document")
    if len(body) > limit:
        raise PayloadTooLarge(f"a bulk write may carry at most {limit} documents, got {len(body)}")
    parts = []
    for index, element in enumerate(body):  # every document is checked before any is written
        try:
            parts.append(_split(element))
        except DomusError as error:
            raise _numbered(index, error) from None
    results = []
    for index, (items, meta) in enumerate(parts):
        try:
            results.append(written(_create(request, database, items, meta)))
        except DomusError as error:
            raise _numbered(index, error) from None
    return results


def list_documents(context, request):
    """Live documents in UNID order, paged by key: ``?startkey=&limit=&include_docs=``."""
    database = context.database
    limit = page_size(request)
    include_docs = request.params.get("include_docs") in {"true", "1"}
    start = request.params.get("startkey") or None
    readable = access.readable_unids(request.identity, database)
    rows, next_key = [], None
    for unid, document in database.documents.items(min=start):
        if database.is_deleted(unid) or not readable(unid):
            continue  # decided from indexes: a hidden document is never loaded
        if len(rows) == limit:
            next_key = unid
            break
        # A live row's revision is the winner: no need to load the revision itself.
        rows.append(document_json(document) if include_docs else {"@unid": unid, "@rev": document.winner})
    return {"total": access.visible_count(request.identity, database), "rows": rows, "next": next_key}


def get_document(context, request):
    """The current revision; ``If-None-Match`` with it answers 304 so tablets save traffic."""
    document = context.live_document()
    if document.winner in request.if_none_match:
        return Response(status=304, headers={"ETag": f'"{document.winner}"'})
    request.response.etag = document.winner
    return document_json(document)


def update_document(context, request):
    body = json_body(request)
    items, meta = split_document_json(body)
    rev = revision_from(request, body)
    parent = meta.get("@parent", ...)
    if parent is not ...:
        _visible_parent(request, context.database, parent)
    revision = request.writer.update(context.database, context.document, items, rev, parent)
    return written(context.document, revision)


def delete_document(context, request):
    revision = request.writer.delete(context.database, context.document, revision_from(request))
    return written(context.document, revision)


def restore_document(context, request):
    revision = request.writer.restore(context.database, context.document)
    return written(context.document, revision)


def resolve_conflict(context, request):
    """``{"keep": REV}`` keeps one revision; ``{"keep": REV, "merged": {…}}`` saves a merged body on it."""
    body = json_body(request)
    if not isinstance(body, dict) or "keep" not in body:
        raise BadRequest('send {"keep": "REV"} or {"keep": "REV", "merged": {items}}')
    items = split_document_json(body["merged"])[0] if "merged" in body else None
    document = context.live_document()
    _all_sides_readable(request, context.database, document)
    return written(document, request.writer.resolve(context.database, document, body["keep"], items))


def _all_sides_readable(request, database, document) -> None:
    """Resolving keeps one side and deletes the others: only who may read every side may choose."""
    hidden = [rev for rev in document.conflicts()
              if not access.may_read_revision(request.identity, database, document, document.bodies[rev])]
    if hidden:
        raise AccessDenied(f"the conflicting revisions {', '.join(hidden)} are hidden from you by their "
                           "own Readers: someone who may read every side must resolve this conflict")


def list_responses(context, request):
    database = context.database
    readable = access.readable_filter(request.identity, database)
    rows = []
    for unid in database.responses_of(context.document.unid):
        document = database.documents.get(unid)
        if document is not None and not document.deleted and readable(document):
            rows.append(document_json(document))
    return {"rows": rows}


def history(context, request):
    """The current revision and its ancestors, newest first; those behind their own Readers hidden."""
    database, document = context.database, context.document
    limit = int_param(request, "limit", 1000, 1, 100000)
    principal = request.identity
    return {
        "@unid": document.unid,
        "history": [
            history_entry(revision, not access.may_read_revision(principal, database, document, revision))
            for revision in document.history()[:limit]
        ],
    }


def history_revision(context, request):
    """One revision; one its own Readers hide from the caller answers as one that never was."""
    document = context.document
    revision = document.revision(request.matchdict["rev"])
    if not access.may_read_revision(request.identity, context.database, document, revision):
        raise DocumentNotFound(f"document {document.unid} has no revision {revision.rev}")
    return document_json(document, revision)


def includeme(config) -> None:
    base = "/api/databases/{db}/documents"
    config.add_route("documents", base, factory=DatabaseContext)
    config.add_route("document", base + "/{unid}", factory=DocumentContext)
    config.add_route("restore", base + "/{unid}/restore", factory=DocumentContext)
    config.add_route("resolve", base + "/{unid}/resolve", factory=DocumentContext)
    config.add_route("responses", base + "/{unid}/responses", factory=DocumentContext)
    config.add_route("history", base + "/{unid}/history", factory=DocumentContext)
    config.add_route("history_revision", base + "/{unid}/history/{rev}", factory=DocumentContext)
    add_json_views(config, (
        (list_documents, "documents", "GET", access.READ),
        (create_documents, "documents", "POST", access.CREATE),
        (get_document, "document", "GET", access.READ),
        (update_document, "document", "PUT", access.WRITE),
        (delete_document, "document", "DELETE", access.DELETE),
        (restore_document, "restore", "POST", access.DELETE),
        (resolve_conflict, "resolve", "POST", access.WRITE),
        (list_responses, "responses", "GET", access.READ),
        (history, "history", "GET", access.READ),
        (history_revision, "history_revision", "GET", access.READ),
    ))
