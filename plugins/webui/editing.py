"""Creating and editing documents by their forms, filing responses, attaching files.

The form's fields become inputs by type; what the browser sends is turned
back into typed items here (a number, a date, a list of names), and the
Writer saves them with the form's rules on (``compute_with_form``: defaults,
computed items, required items, choices, validation formulas), exactly as
the JSON API's ``?computeWithForm=true``.  Problems come back by item and
are shown beside their fields, with what the user typed kept.  Items the
form does not declare are kept on edit: a form never drops data it does not
know about.
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import PurePosixPath, PureWindowsPath

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.renderers import render_to_response

from core import access
from core.api.body import visible_revision
from core.api.contexts import DatabaseContext, DocumentContext
from core.exceptions import BadRequest, NotFound, RevisionConflict, ValidationFailed, hidden_document
from plugins.webui.document import document_heading, form_of
from plugins.webui.i18n import _, in_language
from plugins.webui.pages import database_title, page

TEMPLATE = "plugins.webui:templates/edit.jinja2"
_NAME_TYPES = {"names", "readers", "authors"}
_SEPARATORS = re.compile(r"[,;\n]")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")
_DATETIME_INPUT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")
_MESSAGES = {
    "required": _("Required."),
    "takes one value": _("Takes one value."),
    "must be a number": _("Enter a number."),
    "must be a date like 2026-11-25": _("Enter a date."),
    "must be a date and time like 2026-11-25T10:30:00Z": _("Enter a date and time."),
    "must be text": _("Must be text."),
    "not valid": _("Not valid."),
}
_MISSING = object()


class NewContext(DatabaseContext):
    """A database and a form of its design: ``/db/{db}/new/{form}``."""

    def __init__(self, request) -> None:
        super().__init__(request)
        self.form_name = request.matchdict["form"]


# -- fields -------------------------------------------------------------------
def _input_text(kind: str, value: object) -> object:
    """A stored value as the input shows it."""
    if value is None:
        return [] if kind == "keywords" else ""
    values = value if isinstance(value, list) else [value]
    if kind == "keywords":
        return [str(v) for v in values]
    if kind == "datetime" and isinstance(value, str):
        return value[:16]
    return ", ".join(str(v) for v in values) if kind in _NAME_TYPES or isinstance(value, list) else str(value)


def form_fields(form: dict, items: dict, locale: str) -> list[dict]:
    fields = []
    for item in form.get("items", []):
        name, kind = item["name"], item.get("type", "text")
        if kind == "attachments" or name == "Form":
            continue
        fields.append({
            "name": name, "kind": kind, "label": in_language(item.get("label"), locale, name),
            "required": bool(item.get("required")), "multiple": bool(item.get("multiple")),
            "choices": list(item.get("choices") or []), "computed": bool(item.get("computed")),
            "value": _input_text(kind, items.get(name)), "errors": [],
            "_rule_label": in_language(item.get("label"), "ru", name),
        })
    return fields


def _read(field: dict, post) -> object:
    """The typed item from the posted text; a field error (and _MISSING) if it cannot be read."""
    kind, name = field["kind"], field["name"]
    if kind == "keywords":
        chosen = [v for v in post.getall(name) if v]
        field["value"] = chosen
        return chosen if field["multiple"] else (chosen[0] if len(chosen) == 1 else chosen or "")
    text = post.get(name, "").strip() if kind != "richtext" else post.get(name, "")
    field["value"] = text
    if kind in _NAME_TYPES:
        names = [part.strip() for part in _SEPARATORS.split(text) if part.strip()]
        return names if field["multiple"] else (names[0] if len(names) == 1 else names or "")
    if not text:
        return "" if kind in {"text", "richtext"} else _MISSING
    if kind == "number":
        if not _NUMBER.match(text):
            field["errors"].append(_("Enter a number."))
            return _MISSING
        number = float(text.replace(",", "."))
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if kind == "date":
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            field["errors"].append(_("Enter a date."))
            return _MISSING
    if kind == "datetime":
        if not _DATETIME_INPUT.match(text):
            field["errors"].append(_("Enter a date and time."))
            return _MISSING
        return (text if len(text) == 19 else text + ":00") + "Z"
    return text


def read_items(fields: list[dict], post, items: dict) -> dict:
    """``items`` with the posted fields applied; computed items are left to the form."""
    items = dict(items)
    for field in fields:
        if field["computed"]:
            continue
        value = _read(field, post)
        if value is _MISSING:
            items.pop(field["name"], None)
        else:
            items[field["name"]] = value
    return items


def _message(field: dict | None, message: str):
    """A problem from the form's rules, without the label it repeats, in the reader's language."""
    if field is not None and message.startswith(field["_rule_label"] + ": "):
        message = message[len(field["_rule_label"]) + 2:]
    if message.startswith("must be one of: "):
        return _("Choose one of: ${choices}.", mapping={"choices": message[16:]})
    return _MESSAGES.get(message, message)


def place_problems(fields: list[dict], problems: list[dict]) -> list:
    """Put each problem beside its field; what belongs to no field is returned for the top."""
    by_name = {field["name"]: field for field in fields}
    general = []
    for problem in problems:
        field = by_name.get(problem.get("item"))
        text = _message(field, str(problem.get("message", "")))
        (field["errors"] if field is not None else general).append(text)
    return general


# -- pages --------------------------------------------------------------------
def _edit_page(request, database, *, fields, title, action, status=200, rev=None, general=(),
               cancel, parent=None):
    body = page(request, database=database.name,
                database_title=database_title(database, request.locale_name),
                fields=fields, title=title, action=action, rev=rev, general=list(general),
                cancel=cancel, parent=parent)
    response = render_to_response(TEMPLATE, body, request=request)
    response.status_int = status
    return response


def _save(request, fields, save, redisplay):
    """Run ``save``; on refusal show the form again with the problems beside the fields."""
    if any(field["errors"] for field in fields):
        return redisplay(422, [])
    request.writer.with_form = True  # the UI always applies the form's rules
    try:
        unid = save()
    except ValidationFailed as refused:
        return redisplay(422, place_problems(fields, refused.details.get("errors") or [
            {"item": None, "message": refused.message}]))
    except RevisionConflict:
        return redisplay(409, [_("Someone else changed this document meanwhile. Open it again "
                                 "to see their changes, then edit.")])
    return HTTPSeeOther(location=request.route_path("ui.document", db=request.matchdict["db"],
                                                    unid=unid))


def edit_document(context, request):
    database, document = context.database, context.live_document()
    revision, locale = document.current(), request.locale_name
    form_name, form = form_of(database, revision.items)
    if form_name is None:
        raise NotFound(f"document {document.unid} has no form in database {database.name!r} "
                       "to edit it with")
    fields = form_fields(form, revision.items, locale)
    title = document_heading(database, revision.items, locale)
    cancel = request.route_path("ui.document", db=database.name, unid=document.unid)
    action = request.route_path("ui.edit", db=database.name, unid=document.unid)

    def redisplay(status, general, rev=revision.rev):
        return _edit_page(request, database, fields=fields, title=title, action=action,
                          status=status, rev=rev, general=general, cancel=cancel)

    if request.method == "GET":
        return redisplay(200, [])
    rev = request.POST.get("rev", "")
    items = read_items(fields, request.POST, revision.items)

    def save():
        visible_revision(request, database, document, rev)
        request.writer.update(database, document, items, rev or None)
        return document.unid

    return _save(request, fields, save, lambda status, general: redisplay(status, general, rev))


def _readable_parent(request, database, unid: str | None):
    if unid is None:
        return None
    parent = database.documents.get(unid)
    if parent is None or parent.deleted or not access.may_read(request.identity, database, parent):
        raise hidden_document(database, unid)
    return parent


def new_document(context, request):
    database, locale = context.database, request.locale_name
    form = database.design.get("forms", {}).get(context.form_name)
    if form is None:
        raise NotFound(f"database {database.name!r} has no form {context.form_name!r}")
    parent = _readable_parent(request, database, request.params.get("parent") or None)
    if bool(form.get("responses")) != (parent is not None):
        raise BadRequest("this form makes responses: open it from their main document"
                         if parent is None else "this form makes main documents, not responses")
    fields = form_fields(form, {}, locale)
    title = in_language(form.get("title"), locale, context.form_name)
    query = {"parent": parent.unid} if parent is not None else {}
    action = request.route_path("ui.new", db=database.name, form=context.form_name, _query=query)
    cancel = (request.route_path("ui.document", db=database.name, unid=parent.unid) if parent
              else request.route_path("ui.database", db=database.name))
    parent_info = ({"unid": parent.unid, "heading": document_heading(database, parent.current().items,
                                                                     locale)} if parent else None)

    def redisplay(status, general):
        return _edit_page(request, database, fields=fields, title=title, action=action,
                          status=status, general=general, cancel=cancel, parent=parent_info)

    if request.method == "GET":
        return redisplay(200, [])
    items = read_items(fields, request.POST, {"Form": context.form_name})

    def save():
        return request.writer.create(database, items, parent.unid if parent else None).unid

    return _save(request, fields, save, redisplay)


def upload_attachment(context, request):
    database, document = context.database, context.live_document()
    upload = request.POST.get("file")
    if upload is None or not hasattr(upload, "file") or not upload.filename:
        raise BadRequest("choose a file to attach")
    # Browsers on Windows may send the whole path: keep the file's own name.
    name = PureWindowsPath(PurePosixPath(upload.filename).name).name
    upload.file.seek(0, 2)
    length = upload.file.tell()
    upload.file.seek(0)
    request.writer.put_attachment(database, document, request.POST.get("rev") or None, name,
                                  upload.type or "application/octet-stream", upload.file, length)
    return HTTPSeeOther(location=request.route_path("ui.document", db=database.name,
                                                    unid=document.unid) + "#attachments")


def back_to_document(context, request):
    """A reload of the upload's address (after the browser followed it) shows the document."""
    return HTTPSeeOther(location=request.route_path("ui.document", db=context.database.name,
                                                    unid=context.live_document().unid))


def includeme(config) -> None:
    config.add_route("ui.edit", "/db/{db}/documents/{unid}/edit", factory=DocumentContext)
    config.add_route("ui.upload", "/db/{db}/documents/{unid}/attachments", factory=DocumentContext)
    config.add_route("ui.new", "/db/{db}/new/{form}", factory=NewContext)
    config.add_view(edit_document, route_name="ui.edit", request_method=("GET", "POST"),
                    permission=access.WRITE)
    config.add_view(new_document, route_name="ui.new", request_method=("GET", "POST"),
                    permission=access.CREATE)
    config.add_view(upload_attachment, route_name="ui.upload", request_method="POST",
                    permission=access.WRITE)
    config.add_view(back_to_document, route_name="ui.upload", request_method="GET",
                    permission=access.READ)
