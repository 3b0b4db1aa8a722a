"""A document rendered by its form: typed items, attachments, responses, history.

The form (``design["forms"][Form]``) gives the order, labels and types of
the items; items the form does not declare are still shown, apart, since
documents are schemaless.  Responses and the parent are listed only when
the gate lets the caller read them; the history says who changed which
items when, but not for a revision whose own Readers hide it from the caller.
"""
from __future__ import annotations

from urllib.parse import quote

from core import access
from core.api.contexts import DocumentContext
from plugins.webui.formatting import show_datetime, show_size, show_typed
from plugins.webui.i18n import in_language
from plugins.webui.pages import creatable_forms, database_title, page

TEMPLATE = "plugins.webui:templates/document.jinja2"
HISTORY_SHOWN = 50
RESPONSES_SHOWN = 200
SUBJECT_ITEMS = ("Subject", "Title", "Text")
HEADING_LENGTH = 200


def form_of(database, items) -> tuple[str | None, dict]:
    name = items.get("Form")
    form = database.design.get("forms", {}).get(name) if isinstance(name, str) else None
    return (name if form is not None else None), (form or {})


def labels(form: dict, locale: str) -> dict[str, str]:
    return {item["name"]: in_language(item.get("label"), locale, item["name"])
            for item in form.get("items", [])}


def document_heading(database, items: dict, locale: str) -> str:
    """What a person calls a document: its subject (or title, or text), else its form's title."""
    for name in SUBJECT_ITEMS:
        text = items.get(name)
        if isinstance(text, str) and text.strip():
            return text if len(text) <= HEADING_LENGTH else text[:HEADING_LENGTH - 1] + "…"
    _name, form = form_of(database, items)
    return in_language(form.get("title"), locale, str(items.get("Form") or ""))


def _fields(form: dict, items: dict, locale: str) -> tuple[list[dict], list[dict]]:
    declared, shown = [], set()
    for item in form.get("items", []):
        name, kind = item["name"], item.get("type", "text")
        shown.add(name)
        if kind == "attachments" or name == "Form":
            continue  # attachments have their own section; the form is the page itself
        value = items.get(name)
        declared.append({"name": name, "label": in_language(item.get("label"), locale, name),
                         "kind": kind, "value": show_typed(kind, value, locale),
                         "empty": value in (None, "", [])})
    others = [{"name": name, "label": name, "kind": "text", "value": show_typed("text", value, locale),
               "empty": False}
              for name, value in sorted(items.items()) if name not in shown and name != "Form"]
    return declared, others


def _attachments(database, document, revision, locale: str) -> list[dict]:
    base = f"/api/databases/{quote(database.name)}/documents/{document.unid}/attachments/"
    return [{"name": name, "size": show_size(attachment.length, locale),
             "type": attachment.content_type, "href": base + quote(name, safe="")}
            for name, attachment in sorted(revision.attachments.items())]


def _responses(request, database, document, locale: str) -> list[dict]:
    readable = access.readable_filter(request.identity, database)
    found = []
    for unid in database.responses_of(document.unid):
        response = database.documents.get(unid)
        if response is None or response.deleted or not readable(response):
            continue
        current = response.current()
        _name, form = form_of(database, current.items)
        found.append({"unid": unid, "heading": document_heading(database, current.items, locale),
                      "form": in_language(form.get("title"), locale, ""),
                      "modified": show_datetime(current.timestamp, locale),
                      "by": current.updated_by})
        if len(found) == RESPONSES_SHOWN:
            break
    return found


def _parent(request, database, revision, locale: str) -> dict | None:
    """The main document, only if the caller may read it: a hidden parent is not mentioned."""
    parent = database.documents.get(revision.parent_unid) if revision.parent_unid else None
    if parent is None or parent.deleted or not access.may_read(request.identity, database, parent):
        return None
    return {"unid": parent.unid, "heading": document_heading(database, parent.current().items, locale)}


def _history(request, database, document, names: dict[str, str], locale: str) -> list[dict]:
    """Who changed which items when; a revision its own Readers hide is a bare "hidden revision" row."""
    rows = []
    for revision in document.history()[:HISTORY_SHOWN]:
        if not access.may_read_revision(request.identity, database, document, revision):
            rows.append({"rev": revision.rev, "hidden": True})
            continue
        rows.append({"rev": revision.rev, "hidden": False, "when": show_datetime(revision.timestamp, locale),
                     "by": revision.updated_by, "deleted": revision.deleted,
                     "changed": [_changed_label(change, names) for change in revision.changed]})
    return rows


def _changed_label(change: str, names: dict[str, str]) -> str:
    if change.startswith("@attachments/"):
        return "📎 " + change.split("/", 1)[1]
    return names.get(change, change)


def show_document(context, request):
    database, document = context.database, context.live_document()
    revision, locale, principal = document.current(), request.locale_name, request.identity
    form_name, form = form_of(database, revision.items)
    declared, others = _fields(form, revision.items, locale)
    return page(
        request,
        database=database.name, database_title=database_title(database, locale),
        unid=document.unid, rev=revision.rev,
        heading=document_heading(database, revision.items, locale),
        form_title=in_language(form.get("title"), locale, str(revision.items.get("Form") or "")),
        form_name=form_name, fields=declared, others=others,
        attachments=_attachments(database, document, revision, locale),
        responses=_responses(request, database, document, locale),
        parent=_parent(request, database, revision, locale),
        history=_history(request, database, document, labels(form, locale), locale),
        conflicts=document.conflicts(),
        created=show_datetime(document.created, locale),
        modified=show_datetime(revision.timestamp, locale), updated_by=revision.updated_by,
        may_edit=access.may_write(principal, database, document) and form_name is not None,
        may_attach=access.may_write(principal, database, document),
        response_forms=creatable_forms(request, database, True),
    )


def includeme(config) -> None:
    config.add_route("ui.document", "/db/{db}/documents/{unid}", factory=DocumentContext)
    config.add_view(show_document, route_name="ui.document", request_method="GET",
                    renderer=TEMPLATE, permission=access.READ)
