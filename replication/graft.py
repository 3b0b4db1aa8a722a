"""Revisions that arrive by replication, grafted onto the revision tree.

``_bulk_docs`` with ``new_edits: false`` hands us revisions made elsewhere,
with their ids and their ancestry (``_revisions``).  Each is grafted as it is:
it is never refused as a conflict (a second branch is how a conflict is
kept), a revision already held is skipped, so sending a batch twice changes
nothing, and ancestors we never received are remembered by id
(``Document.stems``).  What may be written is asked of the gate, as for any
write, and each live revision passes the same ``validate_document`` hooks
as an edit (``Writer.graft``); what cannot be stored faithfully is refused
with a clear reason.

Authorship and dates travel only with a server identity (a Server document
of the directory, as Domino's LocalDomainServers): a person who pushes
revisions is recorded as their updater, at the time they arrive.  A revision
that claims to be made by Domus (it carries ``$Modified``) and names its
parent must have the id ``make_rev`` gives its content; revisions made by
PouchDB or CouchDB carry no such claim and cannot be checked.
"""
from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass

from core import access, revisions
from core.attachments import Attachment, check_attachment_name
from core.database import Database
from core.document import Document, Revision
from core.exceptions import AccessDenied, BadRequest, DomusError, ValidationFailed
from core.items import changed_items, split_document_json
from core.text import check_text
from core.writes import Writer, utc_now
from replication.couch import (
    CREATED,
    META_FIELDS,
    MODIFIED,
    PARENT,
    REVS_LIMIT,
    UPDATED_BY,
    known_revisions,
    md5_digest,
)

MAX_ID_LENGTH = 512


class MissingStub(DomusError):
    """An attachment sent as a stub that this replica does not hold."""

    status, code = 412, "missing_stub"


def check_doc_id(unid: object) -> str:
    """A document id a peer may send: any non-empty text, but not CouchDB's special ``_`` ids."""
    if not isinstance(unid, str) or not unid or len(unid) > MAX_ID_LENGTH:
        raise BadRequest(f"_id must be a non-empty string of at most {MAX_ID_LENGTH} characters")
    if unid.startswith("_"):
        raise AccessDenied(f"{unid[:40]!r}: design and special documents are not replicated here")
    return check_text(unid, "_id")


def _path(rev: str, history: object) -> list[str]:
    """The revision and its ancestors (newest first) from ``_revisions``."""
    generation, digest = revisions.parse_rev(rev)
    if history is None:
        return [rev]
    if not (isinstance(history, dict) and history.get("start") == generation
            and isinstance(history.get("ids"), list) and history["ids"][:1] == [digest]):
        raise BadRequest(f"_revisions does not describe revision {rev}")
    ids = history["ids"][:REVS_LIMIT]
    if generation - len(ids) < 0:
        raise BadRequest(f"_revisions of {rev} holds more ancestors than its generation allows")
    path = [f"{generation - index}-{digest_}" for index, digest_ in enumerate(ids)]
    for one in path:
        revisions.parse_rev(one)
    return path


def _items(doc: dict) -> tuple[dict, dict]:
    """Items and our ``$`` metadata of an incoming document."""
    body = {k: v for k, v in doc.items() if not k.startswith("_") and k not in META_FIELDS}
    items, reserved = split_document_json(body)
    if reserved:
        raise BadRequest(f"field {next(iter(reserved))!r} is reserved")
    meta = {k: doc[k] for k in META_FIELDS if k in doc}
    for name, value in meta.items():
        if not isinstance(value, str):
            raise BadRequest(f"{name} must be a string")
    return items, meta


def _check_access(principal, database: Database, document: Document | None, deleted: bool) -> None:
    """The gate's answer for this write; a hidden document is refused like a forbidden one."""
    if document is None:
        allowed = access.may_create(principal, database)
    elif deleted:
        allowed = access.may_delete(principal, database, document)
    else:
        allowed = access.may_write(principal, database, document)
    if not allowed:
        raise AccessDenied("you may not write this document here")


def _check_rev(revision: Revision, path: list[str]) -> None:
    """A Domus-made revision whose parent is named must carry the id of its content."""
    if revision.foreign or (len(path) < 2 and revisions.parse_rev(revision.rev)[0] != 1):
        return
    digests = {name: attachment.sha256 for name, attachment in revision.attachments.items()}
    expected = revisions.make_rev(path[1] if len(path) > 1 else None, revision.deleted,
                                  revision.items_json, digests, revision.parent_unid)
    if expected != revision.rev:
        raise AccessDenied("revision id does not match its content")


def _held_parent(document: Document, path: list[str]) -> tuple[str | None, tuple[str, ...]]:
    """The nearest ancestor this replica holds, and the ids between it and the new revision."""
    for index, ancestor in enumerate(path[1:], start=1):
        if ancestor in document.tree:
            return ancestor, tuple(path[1:index])
    return None, tuple(path[1:])


def _stub(document: Document, name: str, meta: dict) -> Attachment:
    digest = meta.get("digest")
    for revision in document.bodies.values():
        held = revision.attachments.get(name)
        if held is not None and (digest is None or md5_digest(held) == digest):
            return held
    raise MissingStub(f"attachment {name!r} of {document.unid} was sent as a stub, "
                      "but this replica does not hold it")


def _inline(name: str, meta: dict, limit: int) -> Attachment:
    data = meta.get("data")
    if not isinstance(data, str):
        raise BadRequest(f"attachment {name!r} carries neither data nor stub")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(f"attachment {name!r}: data is not base64") from None
    content_type = meta.get("content_type") or "application/octet-stream"
    if not isinstance(content_type, str):
        raise BadRequest(f"attachment {name!r}: content_type must be a string")
    attachment = Attachment(name, content_type)
    attachment.fill(io.BytesIO(raw), limit)
    digest = meta.get("digest")
    if isinstance(digest, str) and digest.startswith("md5-") and md5_digest(attachment) != digest:
        raise BadRequest(f"attachment {name!r} does not match its digest {digest}")
    return attachment


def _attachments(document: Document, field: object, limit: int) -> dict[str, Attachment]:
    if field is None:
        return {}
    if not isinstance(field, dict):
        raise BadRequest("_attachments must be an object of name -> attachment")
    out = {}
    for name, meta in field.items():
        clean = check_attachment_name(name)
        if not isinstance(meta, dict):
            raise BadRequest(f"attachment {name!r} must be an object")
        out[clean] = _stub(document, clean, meta) if meta.get("stub") else _inline(clean, meta, limit)
    return out


@dataclass(frozen=True)
class Graft:
    """A checked revision, ready to be grafted: nothing is changed until ``apply_graft``."""

    document: Document
    revision: Revision
    stems: tuple[str, ...]
    created: str | None


def prepare_graft(writer: Writer, database: Database, principal, doc: object) -> Graft | None:
    """Check one revision sent with ``new_edits: false``; None if it is already here.

    Raises a DomusError saying why it cannot be stored; changes nothing.
    """
    if not isinstance(doc, dict):
        raise BadRequest("each document must be a JSON object")
    unid = check_doc_id(doc.get("_id"))
    rev = doc.get("_rev")
    path = _path(rev, doc.get("_revisions"))  # parses rev first
    deleted = doc.get("_deleted") is True
    items, meta = _items(doc)
    document = database.documents.get(unid)
    _check_access(principal, database, document, deleted)
    if document is None:
        document = Document(unid)
    if rev in known_revisions(document):
        return None
    parent, stems = _held_parent(document, path)
    previous = document.bodies[parent] if parent else None
    authored = meta if getattr(principal, "kind", None) == "server" else {}
    revision = Revision(
        rev,
        parent,
        items,
        deleted=deleted,
        attachments=_attachments(document, doc.get("_attachments"), writer.max_attachment_bytes),
        parent_unid=meta.get(PARENT) or None,
        updated_by=authored.get(UPDATED_BY) or writer.principal,
        timestamp=authored.get(MODIFIED) or utc_now(),
        changed=changed_items(previous.items if previous else {}, items),
    )
    revision.foreign = MODIFIED not in meta
    _check_rev(revision, path)
    return Graft(document, revision, stems, authored.get(CREATED))


def apply_graft(writer: Writer, database: Database, graft: Graft) -> None:
    """Add a checked revision to its document (and the document to the database if new).

    Raises ``ValidationFailed`` if a plugin refuses it; nothing is changed then.
    """
    writer.graft(database, graft.document, graft.revision, stems=graft.stems, created=graft.created)


def refusal(doc: object, error: DomusError) -> dict[str, object]:
    """CouchDB's per-document error; a validation failure is ``forbidden``, as CouchDB says."""
    fields = doc if isinstance(doc, dict) else {}
    code = AccessDenied.code if isinstance(error, ValidationFailed) else error.code
    return {"id": fields.get("_id"), "rev": fields.get("_rev"), "error": code, "reason": error.message}


def audit_reason(error: DomusError) -> str:
    """Why a revision was refused, for the audit log: item names, never their values."""
    if isinstance(error, ValidationFailed):
        names = sorted({str(problem.get("item")) for problem in error.details.get("errors", ())})
        return f"refused by validation of {', '.join(names)}"
    return error.message
