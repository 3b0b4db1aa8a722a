"""``GET {docid}?open_revs=…`` answered in ``multipart/mixed``, as CouchDB answers its replicator.

CouchDB's replicator asks for a document's revisions with ``Accept:
multipart/mixed`` so that files travel as raw bytes, not as base64 inside
JSON.  Each revision is one part of the answer:

- ``application/json``: the document, when no file of it has to travel
  (none, or only stubs of files the peer has since a revision in
  ``atts_since``);
- ``multipart/related``: the document first, its ``_attachments`` entries
  marked ``follows: true``, then one part per such file, in the same order,
  with ``Content-Disposition: attachment; filename="…"``, its type and length;
- ``application/json; error="true"``: ``{"missing": rev}`` for a revision
  this replica does not hold.

Files are streamed from their committed blobs after the request's connection
is closed, as ``GET {docid}/{name}`` does.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

from pyramid.response import Response

from core.attachments import CHUNK
from core.document import Document, Revision
from core.text import utf8
from replication.couch import couch_doc

MIXED = "multipart/mixed"
#: A piece of the body: bytes, or the path and length of a committed file.
Piece = bytes | tuple[str, int]


def wants_multipart(request) -> bool:
    """Did the client name ``multipart/mixed`` in ``Accept``?  ``*/*`` still gets JSON."""
    accept = request.headers.get("Accept", "")
    return any(item.split(";")[0].strip().lower() == MIXED for item in accept.split(","))


def _headers(**fields: str) -> bytes:
    lines = "".join(f"{name.replace('_', '-')}: {value}\r\n" for name, value in fields.items())
    return (lines + "\r\n").encode("utf-8")


def _revision_pieces(doc: dict, revision: Revision) -> Iterator[Piece]:
    """One revision's part: headers and body, nested ``multipart/related`` if files follow."""
    body = utf8(json.dumps(doc, ensure_ascii=False))
    following = [name for name, meta in doc.get("_attachments", {}).items() if meta.get("follows")]
    if not following:
        yield _headers(Content_Type="application/json") + body
        return
    inner = uuid.uuid4().hex
    yield _headers(Content_Type=f'multipart/related; boundary="{inner}"')
    yield f"--{inner}\r\n".encode() + _headers(Content_Type="application/json") + body
    for name in following:
        attachment = revision.attachments[name]
        yield f"\r\n--{inner}\r\n".encode() + _headers(
            Content_Disposition=f'attachment; filename="{name}"',
            Content_Type=attachment.content_type, Content_Length=str(attachment.length))
        yield attachment.committed_path(), attachment.length
    yield f"\r\n--{inner}--".encode()


def multipart_response(document: Document, found: list[tuple[str, object]], options: dict) -> Response:
    """The answer for ``found`` (``("ok", revision)`` or ``("missing", rev)``): a part each, files raw."""
    outer = uuid.uuid4().hex
    pieces: list[Piece] = []
    for _, value in found:
        pieces.append(f"--{outer}\r\n".encode())
        if isinstance(value, Revision):
            doc = couch_doc(document, value, **{**options, "attachments": True, "follows": True})
            pieces.extend(_revision_pieces(doc, value))
        else:
            pieces.append(_headers(Content_Type='application/json; error="true"')
                          + json.dumps({"missing": value}).encode())
        pieces.append(b"\r\n")
    pieces.append(f"--{outer}--".encode())
    response = Response(app_iter=_stream(pieces), charset=None,
                        content_length=sum(len(p) if isinstance(p, bytes) else p[1] for p in pieces))
    response.headers["Content-Type"] = f'{MIXED}; boundary="{outer}"'
    return response


def _stream(pieces: list[Piece]) -> Iterator[bytes]:
    """The body as it is sent: a file is opened only when its turn comes, and read in chunks."""
    for piece in pieces:
        if isinstance(piece, bytes):
            yield piece
            continue
        with open(piece[0], "rb") as stream:
            while chunk := stream.read(CHUNK):
                yield chunk
