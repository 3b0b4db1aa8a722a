"""The operations of ``/replication/{db}``, as CouchDB's replicators call them.

Reads go through the gate once per listing (``readable_filter``) and once per
document (the route's permission); a document the caller may not read is
treated as absent everywhere: not in ``_changes`` or ``_all_docs``, reported
missing by ``_revs_diff`` and ``_bulk_get``.  Pushing needs Author access and
each revision is asked of the gate as any write is (``replication.graft``).
"""
from __future__ import annotations

import json
import re

from pyramid.response import FileIter, Response

import core
from core import access, revisions
from core.acl import AUTHOR
from core.api.body import bool_param, int_param, json_body
from core.changes import longpoll
from core.database import check_database_name
from core.exceptions import AccessDenied, BadRequest, DocumentNotFound, DomusError, NotFound
from core.limits import Budget, check_count
from core.templates import database_from_template, install_database
from core.text import check_json_text
from replication import local_docs
from replication.answers import ANSWER_BYTES, BulkGetAnswer, included, revision_bytes
from replication.couch import couch_doc, known_revisions
from replication.graft import MAX_ID_LENGTH, apply_graft, audit_reason, prepare_graft, refusal
from replication.multipart import multipart_response, wants_multipart
from replication.rules import check_since

MAX_CHANGES = 10000
COUCH_VERSION = "3.3.3"
DEFAULT_LONGPOLL_MS = 60000
BLANK_TEMPLATE = "blank"
_REPLICA_ID = re.compile(r"^[0-9A-F]{16}$")


class DatabaseExists(DomusError):
    status, code = 412, "file_exists"


class DeletedDocument(NotFound):
    code = "not_found"


def _json_param(request, name: str) -> object:
    raw = request.params.get(name)
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise BadRequest(f"parameter {name!r} must be JSON, got {raw[:80]!r}") from None
    return check_json_text(value, raw)


def _posted(request, key: str) -> object:
    """``key`` of a posted JSON object (None if absent); anything but an object is refused."""
    body = json_body(request)
    if not isinstance(body, dict):
        raise BadRequest(f'send a JSON object, e.g. {{"{key}": [...]}}')
    return body.get(key)


def _doc_options(request) -> dict[str, object]:
    atts_since = _json_param(request, "atts_since") or []
    if not isinstance(atts_since, list):
        raise BadRequest("atts_since must be a JSON list of revisions")
    return {
        "revs": bool_param(request, "revs"),
        "attachments": bool_param(request, "attachments"),
        "conflicts": bool_param(request, "conflicts"),
        "atts_since": frozenset(r for r in atts_since if isinstance(r, str)),
    }


def _readable_document(request, database, unid: object):
    """The document if it exists and the caller may read it; else None, as if absent."""
    document = database.documents.get(unid) if isinstance(unid, str) else None
    if document is not None and not access.may_read(request.identity, database, document):
        return None
    return document


def _revision_gate(request, database, document):
    """``revision -> bool``: may the caller read this revision of ``document`` (its own Readers too)?"""
    return lambda revision: access.may_read_revision(request.identity, database, document, revision)


def _open_revs(document, wanted: object, latest: bool, readable) -> list[tuple[str, object]]:
    """``("ok", revision)`` or ``("missing", rev)`` for each revision asked for.

    A revision ``readable`` refuses is missing, as one that never existed, and
    left out of ``"all"`` and of the leaves ``latest`` leads to.
    """
    leaves = revisions.leaves(document.tree)
    shown = [leaf for leaf in leaves if readable(document.bodies[leaf])]
    if wanted == "all":
        return [("ok", document.bodies[rev]) for rev in shown]
    if not isinstance(wanted, list):
        raise BadRequest('open_revs must be "all" or a JSON list of revisions')
    out: list[tuple[str, object]] = []
    for rev in wanted:
        revisions.parse_rev(rev)
        revision = document.bodies.get(rev)
        if revision is None or not readable(revision):
            out.append(("missing", rev))
        elif latest and rev not in leaves:
            out += [("ok", document.bodies[leaf]) for leaf in shown
                    if rev in revisions.ancestry(document.tree, leaf)]
        else:
            out.append(("ok", revision))
    return out


# -- server and database ---------------------------------------------------
def welcome(context, request):
    """The server's answer to ``GET /replication/``: clients derive checkpoint ids from ``uuid``."""
    return {"couchdb": "Welcome", "uuid": context.root.server_uuid, "version": COUCH_VERSION,
            "vendor": {"name": "Domus", "version": core.__version__}}


def database_info(context, request):
    database = context.database
    return {
        "db_name": database.name,
        "doc_count": access.visible_count(request.identity, database),
        "update_seq": database.last_seq(),
        "purge_seq": database.purged_seq,
        "instance_start_time": "0",
        "domus": {"replicaId": database.replica_id, "template": database.template,
                  "purgeIntervalDays": database.purge_interval_days},
    }


def create_database(context, request):
    """An empty replica: ``?template=`` for its design, ``?replica_id=`` to join a replica set."""
    if context.database is not None:
        raise DatabaseExists("The database could not be created, the file already exists.")
    name = check_database_name(context.db_name)
    replica_id = request.params.get("replica_id") or None
    if replica_id is not None and not _REPLICA_ID.match(replica_id):
        raise BadRequest("replica_id must be 16 uppercase hex digits")
    template = request.params.get("template")
    templates = request.registry.templates
    if not template:
        template, templates = BLANK_TEMPLATE, {BLANK_TEMPLATE: {"name": BLANK_TEMPLATE}}
    database = database_from_template(templates, template, name=name, title={"en": name},
                                      replica_id=replica_id)
    install_database(context.root, request.registry.pm, database)
    request.response.status_int = 201
    return {"ok": True}


def ensure_full_commit(context, request):
    """Every acknowledged write is already on disk (group commit): nothing to do."""
    request.response.status_int = 201
    return {"ok": True, "instance_start_time": "0"}


# -- the feed --------------------------------------------------------------
def _since(request, database) -> int:
    raw = request.params.get("since", "0")
    if raw == "now":
        return database.last_seq()
    try:
        since = int(raw.strip('"'))
    except ValueError:
        raise BadRequest(f"since must be a sequence this server gave, or now; got {raw[:40]!r}") from None
    check_since(database, since)
    return since


def _doc_ids_filter(request) -> set[str] | None:
    name = request.params.get("filter")
    if not name:
        return None
    if name != "_doc_ids":
        raise BadRequest(f"filter {name!r} is not supported; use _doc_ids or a selective formula")
    ids = _posted(request, "doc_ids") if request.method == "POST" else _json_param(request, "doc_ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise BadRequest("doc_ids must be a list of document ids")
    return set(ids)


def _feed_rows(request, database, since: int, limit: int, only: set[str] | None):
    all_docs = request.params.get("style") == "all_docs"
    include_docs = bool_param(request, "include_docs")
    conflicts = bool_param(request, "conflicts")
    readable = access.readable_filter(request.identity, database)
    changes = database.changes_since(since, limit)
    budget = Budget(request.registry.settings, ANSWER_BYTES, "the _changes answer")
    rows = []
    for change in changes:
        if only is not None and change.unid not in only:
            continue
        document = database.documents[change.unid]
        if not readable(document):
            continue
        leaves = revisions.leaves(document.tree) if all_docs else [document.winner]
        leaves.sort(key=lambda rev: rev != document.winner)
        row = {"seq": change.seq, "id": change.unid, "changes": [{"rev": rev} for rev in leaves]}
        if change.deleted:
            row["deleted"] = True
        if include_docs:
            row["doc"] = included(budget, document, conflicts=conflicts)
        rows.append(row)
    return rows, (changes[-1].seq if changes else since), bool(changes)


def changes(context, request):
    """``_changes``, normal or longpoll; each document once, at its latest change."""
    name = context.database.name
    since = _since(request, context.database)
    limit = min(int_param(request, "limit", MAX_CHANGES, 1), MAX_CHANGES)
    only = _doc_ids_filter(request)
    feed = request.params.get("feed", "normal")
    if feed not in {"normal", "longpoll"}:
        raise BadRequest(f"feed must be normal or longpoll, got {feed!r}")
    heartbeat = request.params.get("heartbeat", "")  # CouchDB also takes heartbeat=true
    wait_ms = min(int_param(request, "timeout", DEFAULT_LONGPOLL_MS, 0),
                  int(heartbeat) if heartbeat.isdigit() and int(heartbeat) > 0 else DEFAULT_LONGPOLL_MS,
                  int(request.registry.settings["domus.longpoll_max_seconds"] * 1000))
    # A POST holds the writers' turn (group commit): it never waits.
    seconds = wait_ms / 1000 if feed == "longpoll" and request.method == "GET" else 0

    def scan():
        database = request.root_object.get_database(name)
        rows, last, scanned = _feed_rows(request, database, since, limit, only)
        return {"results": rows, "last_seq": last}, scanned

    return longpoll(request, name, seconds, scan)


# -- comparing and fetching ------------------------------------------------
def revs_diff(context, request):
    """Which of the peer's revisions this replica lacks; only documents with something missing."""
    body = json_body(request)
    if not isinstance(body, dict):
        raise BadRequest("send an object of document id -> list of revisions")
    check_count(request.registry.settings, "domus.max_revs_diff_revisions",
                len(body) + sum(len(revs) for revs in body.values() if isinstance(revs, list)),
                "document ids and revisions in _revs_diff")
    out = {}
    for unid, revs in body.items():
        if not isinstance(revs, list) or not all(isinstance(rev, str) for rev in revs):
            raise BadRequest(f"the revisions of {unid[:40]!r} must be a list of strings")
        for rev in revs:
            revisions.parse_rev(rev)
        document = _readable_document(request, context.database, unid)
        known = known_revisions(document) if document is not None else set()
        missing = [rev for rev in revs if rev not in known]
        if not missing:
            continue
        entry: dict[str, list[str]] = {"missing": missing}
        if document is not None:
            top = max(revisions.parse_rev(rev)[0] for rev in missing)
            ancestors = [leaf for leaf in revisions.leaves(document.tree)
                         if revisions.parse_rev(leaf)[0] < top]
            if ancestors:
                entry["possible_ancestors"] = ancestors
        out[unid] = entry
    return out


def bulk_get(context, request):
    """Several revisions in one request: ``{"docs": [{"id", "rev"}]}``, weighed before built."""
    body = json_body(request)
    wanted = body.get("docs") if isinstance(body, dict) else None
    if not isinstance(wanted, list):
        raise BadRequest('send {"docs": [{"id": …, "rev": …}, …]}')
    check_count(request.registry.settings, "domus.max_bulk_get_entries", len(wanted),
                "entries in _bulk_get")
    options = _doc_options(request)
    latest = bool_param(request, "latest")
    answer = BulkGetAnswer(request.registry.settings)
    for entry in wanted:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise BadRequest("each entry of docs needs an id")
        unid, rev = entry["id"], entry.get("rev")
        document = _readable_document(request, context.database, unid)
        own = dict(options)
        if isinstance(entry.get("atts_since"), list):
            own["atts_since"] = frozenset(r for r in entry["atts_since"] if isinstance(r, str))
        if document is None:
            found = [("missing", rev)]
        elif rev is None:
            found = [("ok", document.current())]
        else:
            readable = _revision_gate(request, context.database, document)
            found = _open_revs(document, [rev], latest, readable)
        answer.add(unid, document, found, own)
    return {"results": answer.results()}


def get_document(context, request):
    """One document: the winner, ``?rev=``, or ``?open_revs=`` (a JSON list of results)."""
    document = context.document
    options = _doc_options(request)
    readable = _revision_gate(request, context.database, document)
    open_revs = request.params.get("open_revs")
    if open_revs is not None:
        wanted = "all" if open_revs == "all" else _json_param(request, "open_revs")
        if isinstance(wanted, list):
            check_count(request.registry.settings, "domus.max_bulk_get_entries", len(wanted),
                        "revisions in open_revs")
        found = _open_revs(document, wanted, bool_param(request, "latest"), readable)
        if wants_multipart(request):  # files streamed from their blobs: nothing held
            return multipart_response(document, found, options)
        budget = Budget(request.registry.settings, ANSWER_BYTES, "the open_revs answer")
        for kind, value in found:
            if kind == "ok":
                budget.charge(revision_bytes(document, value, options))
        return [{"ok": couch_doc(document, value, **options)} if kind == "ok" else {"missing": value}
                for kind, value in found]
    rev = request.params.get("rev")
    if rev is not None:
        revision = document.bodies.get(rev)
        if revision is None or not readable(revision):
            raise DocumentNotFound("missing")
        return couch_doc(document, revision, **options)
    if document.deleted:
        raise DeletedDocument("deleted")
    return couch_doc(document, **options)


def get_attachment(context, request):
    """The file itself, streamed from its blob, of the winner or of ``?rev=`` (if its Readers allow)."""
    document = context.document
    rev = request.params.get("rev")
    revision = document.bodies.get(rev) if rev is not None else document.current()
    if revision is None or (rev is None and revision.deleted) or not access.may_read_revision(
            request.identity, context.database, document, revision):
        raise DocumentNotFound("missing")
    attachment = revision.attachments.get(context.attachment)
    if attachment is None:
        raise DocumentNotFound("Document is missing attachment")
    response = Response(
        app_iter=FileIter(open(attachment.committed_path(), "rb")),  # noqa: SIM115 - closed when sent
        content_type=attachment.content_type,
        content_length=attachment.length,
        charset=None,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    return response


def all_docs(context, request):
    """Live documents in id order (``startkey``, ``endkey``, ``limit``) or by ``keys``."""
    database = context.database
    include_docs = bool_param(request, "include_docs")
    conflicts = bool_param(request, "conflicts")
    keys = _posted(request, "keys") if request.method == "POST" else _json_param(request, "keys")
    budget = Budget(request.registry.settings, ANSWER_BYTES, "the _all_docs answer")
    rows: list[dict[str, object]] = []
    if keys is not None:
        if not isinstance(keys, list):
            raise BadRequest("keys must be a list of document ids")
        check_count(request.registry.settings, "domus.max_all_docs_keys", len(keys), "keys in _all_docs")
        for key in keys:
            document = _readable_document(request, database, key)
            if document is None:
                rows.append({"key": key, "error": "not_found"})
                continue
            value: dict[str, object] = {"rev": document.winner}
            if document.deleted:
                value["deleted"] = True
            rows.append({"id": key, "key": key, "value": value,
                         **({"doc": None if document.deleted
                             else included(budget, document, conflicts=conflicts)}
                            if include_docs else {})})
    else:
        limit = int_param(request, "limit", MAX_CHANGES, 0, MAX_CHANGES)
        start, end = _json_param(request, "startkey"), _json_param(request, "endkey")
        readable = access.readable_unids(request.identity, database)
        for unid, document in database.documents.items(min=start, max=end):
            if len(rows) >= limit:
                break
            if database.is_deleted(unid) or not readable(unid):
                continue
            row = {"id": unid, "key": unid, "value": {"rev": document.winner}}
            if include_docs:
                row["doc"] = included(budget, document, conflicts=conflicts)
            rows.append(row)
    return {"total_rows": access.visible_count(request.identity, database), "offset": 0,
            "rows": rows}


# -- writing -----------------------------------------------------------------
def bulk_docs(context, request):
    """Revisions made elsewhere, grafted as they are (``new_edits: false``); errors per document."""
    body = json_body(request)
    docs = body.get("docs") if isinstance(body, dict) else None
    if not isinstance(docs, list):
        raise BadRequest('send {"docs": […], "new_edits": false}')
    if body.get("new_edits", True) is not False:
        raise BadRequest("this endpoint takes replicated revisions only (new_edits: false); "
                         "edit documents through /api")
    database, principal = context.database, request.identity
    if access.database_access(principal, database).level < AUTHOR:
        raise AccessDenied("you may read this database but not replicate changes into it")
    check_count(request.registry.settings, "domus.max_bulk_documents", len(docs), "documents in _bulk_docs")
    errors = []
    for doc in docs:
        try:
            prepared = prepare_graft(request.writer, database, principal, doc)
            if prepared is not None:
                apply_graft(request.writer, database, prepared)
        except DomusError as error:
            errors.append(refusal(doc, error))
            if errors[-1]["error"] == AccessDenied.code:
                request.registry.audit.record(
                    "replication.refused", principal.name if principal else None, request.client_addr,
                    database=database.name, id=str(errors[-1]["id"])[:MAX_ID_LENGTH],
                    rev=str(errors[-1]["rev"])[:MAX_ID_LENGTH], reason=audit_reason(error),
                )
    request.response.status_int = 201
    return errors


def get_local(context, request):
    """The caller's own checkpoint; another identity's answers 404, as if absent."""
    return local_docs.get_local(context.database, local_docs.owner_key(request.identity),
                                local_docs.check_local_id(context.key))


def put_local(context, request):
    local_id = local_docs.check_local_id(context.key)
    body = json_body(request)
    settings = request.registry.settings
    request.writer.touched = True
    rev = local_docs.put_local(context.database, local_docs.owner_key(request.identity), local_id, body,
                               settings["domus.max_local_bytes"], settings["domus.max_local_documents"])
    request.response.status_int = 201
    return {"ok": True, "id": f"_local/{local_id}", "rev": rev}


def delete_local(context, request):
    local_id = local_docs.check_local_id(context.key)
    request.writer.touched = True
    local_docs.delete_local(context.database, local_docs.owner_key(request.identity), local_id)
    return {"ok": True, "id": f"_local/{local_id}", "rev": "0-0"}


READ_METHODS = ("GET", "HEAD")


def includeme(config) -> None:
    from pyramid.security import NO_PERMISSION_REQUIRED

    from replication.endpoint import ROUTE

    table = (
        (welcome, "welcome", READ_METHODS, NO_PERMISSION_REQUIRED),
        (database_info, "database", READ_METHODS, access.OPEN),
        (create_database, "database", "PUT", access.CREATE_DATABASE),
        (ensure_full_commit, "ensure_full_commit", "POST", access.OPEN),
        (changes, "changes", ("GET", "POST"), access.READ),
        (revs_diff, "revs_diff", "POST", access.READ),
        (bulk_get, "bulk_get", "POST", access.READ),
        (all_docs, "all_docs", ("GET", "POST"), access.READ),
        (bulk_docs, "bulk_docs", "POST", access.OPEN),
        (get_local, "local", "GET", access.READ),
        (put_local, "local", "PUT", access.READ),
        (delete_local, "local", "DELETE", access.READ),
        (get_document, "document", READ_METHODS, access.READ),
    )
    for view, op, method, permission in table:
        config.add_view(view, route_name=ROUTE, replication_op=op, request_method=method,
                        renderer="json", permission=permission)
    config.add_view(get_attachment, route_name=ROUTE, replication_op="attachment",
                    request_method=READ_METHODS, permission=access.READ)
