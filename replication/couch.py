"""Documents as the CouchDB replication protocol spells them.

Items are top-level fields; CouchDB's own fields start with ``_``.  Our ``@``
metadata travels under Domino's ``$`` names (``$REF`` is the main document of
a response, as in Notes), so a replica made by Domus keeps who changed what
and when.  A revision made by PouchDB or CouchDB (``Revision.foreign``) is sent
back exactly as it came, with no ``$`` field it did not have.
"""
from __future__ import annotations

import base64

from core import revisions
from core.attachments import Attachment
from core.document import Document, Revision
from core.exceptions import BadRequest

PARENT = "$REF"
CREATED = "$Created"
MODIFIED = "$Modified"
UPDATED_BY = "$UpdatedBy"
META_FIELDS = (PARENT, CREATED, MODIFIED, UPDATED_BY)
#: How many ancestors a revision remembers by id (CouchDB's default ``_revs_limit``).
REVS_LIMIT = 1000


def md5_digest(attachment: Attachment) -> str:
    """CouchDB's spelling of an attachment digest: ``md5-`` and the base64 of the MD5."""
    return "md5-" + base64.b64encode(bytes.fromhex(attachment.md5)).decode("ascii")


def revision_path(document: Document, rev: str) -> list[str]:
    """``rev`` and its ancestors, newest first, including those known by id only.

    The path stops where the generations stop following each other: what
    CouchDB sends as ``_revisions`` must count down one by one.
    """
    stems = document.stems or {}
    path: list[str] = []
    current: str | None = rev
    while current is not None and len(path) < REVS_LIMIT:
        path.append(current)
        path.extend(stems.get(current, ()))
        held = document.tree.get(current)
        current = held[0] if held else None
        if current is not None and revisions.parse_rev(current)[0] != revisions.parse_rev(path[-1])[0] - 1:
            break
    return path[:REVS_LIMIT]


def known_revisions(document: Document) -> set[str]:
    """Every revision this replica holds or knows by id as an ancestor of one it holds."""
    known = set(document.tree)
    for ancestors in (document.stems or {}).values():
        known.update(ancestors)
    return known


def attachment_revpos(document: Document, rev: str, attachment: Attachment) -> int:
    """The generation of the oldest revision in ``rev``'s line that holds this very file."""
    revpos = revisions.parse_rev(rev)[0]
    for older in revisions.ancestry(document.tree, rev)[1:]:
        held = document.bodies[older].attachments.get(attachment.name)
        if held is None or held.sha256 != attachment.sha256:
            break
        revpos = revisions.parse_rev(older)[0]
    return revpos


def _attachment_json(document: Document, revision: Revision, attachment: Attachment,
                     data_after: int | None, follows: bool) -> dict[str, object]:
    """A file's entry under ``_attachments``.

    Its content goes with it if it appeared after generation ``data_after``
    (None: never): inline in base64, or, with ``follows``, announced here and
    sent raw in a part of its own (``replication.multipart``).
    """
    revpos = attachment_revpos(document, revision.rev, attachment)
    out: dict[str, object] = {
        "content_type": attachment.content_type,
        "digest": md5_digest(attachment),
        "revpos": revpos,
    }
    if data_after is None or revpos <= data_after:
        out.update(length=attachment.length, stub=True)
    elif follows:
        out.update(length=attachment.length, follows=True)
    else:
        with attachment.open() as stream:
            out["data"] = base64.b64encode(stream.read()).decode("ascii")
    return out


def couch_doc(
    document: Document,
    revision: Revision | None = None,
    *,
    revs: bool = False,
    attachments: bool = False,
    atts_since: frozenset[str] = frozenset(),
    conflicts: bool = False,
    follows: bool = False,
) -> dict[str, object]:
    """One revision as a CouchDB document.

    ``attachments`` puts the files inline (base64), or marks them ``follows``,
    except those the peer already has, which are the ones present at a
    revision in ``atts_since``.
    """
    revision = revision or document.current()
    out: dict[str, object] = {"_id": document.unid, "_rev": revision.rev}
    if revision.deleted:
        out["_deleted"] = True
    out.update(revision.items)
    if revision.parent_unid:
        out[PARENT] = revision.parent_unid
    if not revision.foreign:
        out[CREATED] = document.created
        out[MODIFIED] = revision.timestamp
        out[UPDATED_BY] = revision.updated_by
    if revision.attachments:
        seen = _positions(atts_since) if attachments else None
        out["_attachments"] = {
            name: _attachment_json(document, revision, attachment, seen, follows)
            for name, attachment in sorted(revision.attachments.items())
        }
    if revs:
        path = revision_path(document, revision.rev)
        out["_revisions"] = {
            "start": revisions.parse_rev(revision.rev)[0],
            "ids": [revisions.parse_rev(rev)[1] for rev in path],
        }
    if conflicts and revision.rev == document.winner and document.conflicts():
        out["_conflicts"] = document.conflicts()
    return out


def _positions(atts_since: frozenset[str]) -> int:
    """The highest generation the peer holds: files added at or before it need not travel."""
    best = 0
    for rev in atts_since:
        try:
            best = max(best, revisions.parse_rev(rev)[0])
        except BadRequest:  # a malformed hint only costs bandwidth
            continue
    return best
