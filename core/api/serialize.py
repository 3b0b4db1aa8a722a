"""Document JSON as clients see it: items at the top, metadata under ``@`` keys."""
from __future__ import annotations

from core.document import Document, Revision


def document_json(document: Document, revision: Revision | None = None) -> dict[str, object]:
    revision = revision or document.current()
    out: dict[str, object] = {
        "@unid": document.unid,
        "@rev": revision.rev,
        "@created": document.created,
        "@modified": revision.timestamp,
        "@updatedBy": revision.updated_by,
    }
    if revision.parent_unid:
        out["@parent"] = revision.parent_unid
    if revision.attachments:
        out["@attachments"] = {
            name: attachment.describe() for name, attachment in sorted(revision.attachments.items())
        }
    if revision.rev == document.winner:
        conflicts = document.conflicts()
        if conflicts:
            out["@conflicts"] = conflicts
    if revision.deleted:
        out["@deleted"] = True
    out.update(revision.items)
    return out


def written(document: Document, revision: Revision | None = None) -> dict[str, object]:
    """The short answer to a write: which document, which revision."""
    revision = revision or document.current()
    out: dict[str, object] = {"@unid": document.unid, "@rev": revision.rev}
    if revision.deleted:
        out["@deleted"] = True
    return out


def history_entry(revision: Revision, hidden: bool = False) -> dict[str, object]:
    """One line of a document's history; a revision the caller may not read shows only its id.

    A hidden revision keeps its place, so the timeline stays honest (there
    were edits), but says nothing of who made it, when, or which items changed.
    """
    if hidden:
        return {"@rev": revision.rev, "@hidden": True}
    entry: dict[str, object] = {
        "@rev": revision.rev,
        "@modified": revision.timestamp,
        "@updatedBy": revision.updated_by,
        "changed": list(revision.changed),
    }
    if revision.deleted:
        entry["@deleted"] = True
    return entry
