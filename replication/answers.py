"""Replication answers weighed before they are built.

A ``_bulk_get`` with ``attachments=true`` puts every file inline in base64:
300 entries naming one revision with a 1 MB file would build a 420 MB
answer from a 13 KB request.  So each revision is weighed first, from its
metadata (its JSON with files marked ``follows``, plus the base64 length of
each file that travels, none of them read), the whole answer is paid for
against ``domus.max_answer_bytes`` (``core.limits.Budget``), and only then is
anything built; a revision asked for twice is built once.
"""
from __future__ import annotations

import json
from collections.abc import Mapping

from core.document import Document, Revision
from core.limits import Budget
from core.text import utf8
from replication.couch import couch_doc

ANSWER_BYTES = "domus.max_answer_bytes"
#: The JSON around one ``_bulk_get`` result or ``_all_docs`` row, besides its id and document.
ROW_BYTES = 64


def base64_length(length: int) -> int:
    return 4 * ((length + 2) // 3)


def revision_bytes(document: Document, revision: Revision | None, options: Mapping[str, object]) -> int:
    """The bytes ``couch_doc(document, revision, **options)`` takes in a JSON answer, files read not."""
    doc = couch_doc(document, revision, **{**options, "follows": True})
    size = len(utf8(json.dumps(doc, ensure_ascii=False)))
    for meta in doc.get("_attachments", {}).values():
        if meta.get("follows"):
            size += base64_length(meta["length"])
    return size


def _missing(unid: str, rev: object) -> dict[str, object]:
    return {"error": {"id": unid, "rev": rev or "undefined", "error": "not_found", "reason": "missing"}}


class BulkGetAnswer:
    """The results of one ``_bulk_get``: entries are added and paid for, then built together."""

    def __init__(self, settings: Mapping[str, object]) -> None:
        self.budget = Budget(settings, ANSWER_BYTES, "the _bulk_get answer")
        self.entries: list[tuple[str, list[tuple[str, object]]]] = []
        #: Each revision asked for, by (id, rev, atts_since): what builds it and what it weighs.
        self.revisions: dict[tuple, tuple[Document, Revision, Mapping[str, object], int]] = {}

    def add(self, unid: str, document: Document | None, found: list[tuple[str, object]],
            options: Mapping[str, object]) -> None:
        """One entry: ``found`` is ``("ok", revision)`` or ``("missing", rev)`` for each result."""
        self.budget.charge(ROW_BYTES + len(unid.encode("utf-8", "surrogatepass")))
        docs: list[tuple[str, object]] = []
        for kind, value in found:
            if kind != "ok":
                self.budget.charge(ROW_BYTES + len(str(value)))
                docs.append((kind, value))
                continue
            key = (unid, value.rev, options["atts_since"])
            if key not in self.revisions:
                self.revisions[key] = (document, value, options, revision_bytes(document, value, options))
            self.budget.charge(self.revisions[key][3])
            docs.append((kind, key))
        self.entries.append((unid, docs))

    def results(self) -> list[dict[str, object]]:
        """The answer's ``results``, each revision's document built once however often it was asked."""
        built = {key: {"ok": couch_doc(document, revision, **options)}
                 for key, (document, revision, options, _) in self.revisions.items()}
        return [{"id": unid, "docs": [built[value] if kind == "ok" else _missing(unid, value)
                                      for kind, value in docs]}
                for unid, docs in self.entries]


def included(budget: Budget, document: Document, **options: object) -> dict[str, object]:
    """The winning revision for an ``include_docs`` row, paid for before it is built."""
    budget.charge(ROW_BYTES + revision_bytes(document, None, options))
    return couch_doc(document, **options)
