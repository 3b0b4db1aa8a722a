"""``…/documents/{unid}/attachments/{name}``: files streamed in and out.

An upload is the raw request body (its Content-Type is the file's), written
into a blob chunk by chunk; a download streams the committed blob file, so
neither direction holds the file in memory.  Downloads are always offered as
attachments with ``nosniff``, so an uploaded HTML file cannot run in the
browser as our page.
"""
from __future__ import annotations

from urllib.parse import quote

from pyramid.response import FileIter, Response

from core import access
from core.api.body import body_stream, revision_from
from core.api.contexts import DocumentContext
from core.attachments import check_attachment_name
from core.exceptions import AttachmentNotFound


def _disposition(name: str) -> str:
    fallback = name.encode("ascii", "replace").decode("ascii").replace('"', "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


def get_attachment(context, request):
    document = context.live_document()
    name = check_attachment_name(request.matchdict["name"])
    attachment = document.current().attachments.get(name)
    if attachment is None:
        raise AttachmentNotFound(f"document {document.unid} has no attachment {name!r}")
    response = Response(
        # FileIter closes the file when the server has sent it.
        app_iter=FileIter(open(attachment.committed_path(), "rb")),  # noqa: SIM115
        content_type=attachment.content_type,
        content_length=attachment.length,
        charset=None,
    )
    response.etag = attachment.sha256
    response.headers["Content-Disposition"] = _disposition(name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["Digest"] = f"sha-256={attachment.sha256}"
    return response


def put_attachment(context, request):
    document = context.live_document()
    name = check_attachment_name(request.matchdict["name"])
    revision = request.writer.put_attachment(
        context.database,
        document,
        revision_from(request),
        name,
        request.headers.get("Content-Type", ""),
        body_stream(request),
        request.content_length,
    )
    request.response.status_int = 201
    return {
        "@unid": document.unid,
        "@rev": revision.rev,
        "name": name,
        **revision.attachments[name].describe(),
    }


def delete_attachment(context, request):
    document = context.live_document()
    name = check_attachment_name(request.matchdict["name"])
    revision = request.writer.delete_attachment(
        context.database, document, revision_from(request), name
    )
    return {"@unid": document.unid, "@rev": revision.rev}


def includeme(config) -> None:
    config.add_route(
        "attachment",
        "/api/databases/{db}/documents/{unid}/attachments/{name:.+}",
        factory=DocumentContext,
    )
    config.add_view(get_attachment, route_name="attachment", request_method="GET",
                    permission=access.READ)
    config.add_view(put_attachment, route_name="attachment", request_method="PUT",
                    renderer="json", permission=access.WRITE)
    config.add_view(delete_attachment, route_name="attachment", request_method="DELETE",
                    renderer="json", permission=access.WRITE)
