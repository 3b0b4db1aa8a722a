"""``domus check``: walk every database and report inconsistencies; repair bad text on request.

Text that is not valid Unicode (a NUL, a lone surrogate: ``core.text``) is
refused at every door today, but an older version stored what peers pushed.
``--repair`` mends it through the Writer, as the identity ``domus-check``, so
views, full text and replicas see an ordinary change:

- an item name or value holding bad text: a new revision with each bad
  character replaced by U+FFFD, so views, full text and replicas see the
  change; older revisions (the history, other branches) are mended where they
  are, the one exception to "a stored revision never changes": text no one
  can read back is not history worth keeping byte for byte;
- a document *id* holding bad text cannot be renamed (the id is what replicas
  share), so the document is written whole, every revision as stored, to
  ``<var>/quarantine/<database>.jsonl`` (JSON with ``\\u`` escapes, which keep
  the bad characters exactly) and purged: its feed entry goes with it. This
  purge does not make the database's replicas "too old" (``purged_seq``):
  no replica could hold that id as valid text.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from core.document import Document, Revision
from core.revisions import canonical_json
from core.root import server_root
from core.storage import connection_scope
from core.text import bad_character, describe, find_bad_json_text, scrub_json
from core.writes import Writer

CHECK_PRINCIPAL = "domus-check"
#: A lone surrogate as stored, or a NUL as canonical JSON escapes it: a revision without
#: either has clean items and is not decoded.
_SUSPECT = re.compile(r"[\ud800-\udfff]|\\u0000")


def _bad_items(revision: Revision) -> str | None:
    """Where a revision's items hold bad text, or None; most revisions are cleared by one search."""
    if not _SUSPECT.search(revision.items_json):
        return None
    where = find_bad_json_text(revision.items)
    return where and where.replace("the value at ", "item ", 1).replace("the name ", "item name ", 1)


def bad_text(document: Document) -> str | None:
    """What is wrong with the text of a document's id or any of its revisions, or None."""
    character = bad_character(document.unid)
    if character is not None:
        return f"its id holds {describe(character)}"
    for revision in document.bodies.values():
        where = _bad_items(revision)
        if where is not None:
            return f"revision {revision.rev}: {where}"
        for name in revision.attachments:
            character = bad_character(name)
            if character is not None:
                return f"revision {revision.rev}: an attachment name holds {describe(character)}"
    return None


def _mend(revision: Revision) -> None:
    """Replace the bad characters of a stored revision's items where they are."""
    revision.items_json = canonical_json(scrub_json(revision.items))
    revision._v_items = None


def _quarantine(document: Document, path: Path) -> None:
    """Append every revision of ``document``, exactly as stored, to ``path``."""
    record = {
        "unid": document.unid,
        "revisions": [
            {"rev": revision.rev, "parent": revision.parent_rev, "deleted": revision.deleted,
             "items": revision.items, "attachments": sorted(revision.attachments),
             "updatedBy": revision.updated_by, "timestamp": revision.timestamp}
            for revision in document.bodies.values()
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="ascii") as out:
        out.write(json.dumps(record, ensure_ascii=True, sort_keys=True) + "\n")


def _repair(writer: Writer, database, document: Document, quarantine: Path) -> str | None:
    """Mend one document's bad text; return what was done, or None if it cannot be."""
    if bad_character(document.unid) is not None:
        _quarantine(document, quarantine)
        if not document.deleted:
            writer.delete(database, document, document.winner)
        # Not a purge replicas must be told of (``purged_seq`` would make every replica of the
        # database too old to replicate): no replica ever held this id as valid text either.
        purged_seq = database.purged_seq
        database.purge(document.unid)
        database.purged_seq = purged_seq
        return f"purged, its revisions kept in {quarantine}"
    held = [revision for revision in document.bodies.values() if _bad_items(revision) is not None]
    if not held:
        return None  # an attachment's name: only a person can choose a new one
    current = document.current()
    if current in held:  # a change that views, full text and replicas follow
        writer.update(database, document, scrub_json(current.items), document.winner)
    for revision in held:
        _mend(revision)
    made = "; the current text is in a new revision" if current in held else ""
    return f"bad characters replaced by U+FFFD in {len(held)} revision(s){made}"


def _documents_with_bad_text(database, connection) -> list[tuple[str, Document, str]]:
    """Every document whose text is bad, with what is wrong; the cache is trimmed as it goes."""
    found = []
    for count, (unid, document) in enumerate(database.documents.items(), start=1):
        wrong = bad_text(document)
        if wrong is not None:
            found.append((unid, document, wrong))
        if count % 10000 == 0:
            connection.cacheGC()
    return found


def check_storage(db, report: Callable[[str], None], pm=None,
                  quarantine_dir: Path | None = None) -> list[str]:
    """Report every database's problems; given ``pm`` and ``quarantine_dir``, repair bad text.

    Returns the problems that remain.
    """
    problems: list[str] = []
    with connection_scope(db) as (tm, connection):
        tm.begin()
        writer = Writer(pm, CHECK_PRINCIPAL, tm) if pm is not None else None
        for name, database in server_root(connection).databases.items():
            found = database.verify()
            for unid, document, wrong in _documents_with_bad_text(database, connection):
                where = f"{name}/{ascii(unid)[1:-1]}: {wrong}"
                done = writer and _repair(writer, database, document, quarantine_dir / f"{name}.jsonl")
                if done:
                    report(f"repaired {where}: {done}")
                else:
                    found.append(where)
            report(
                f"{name}: {database.document_count()} documents, "
                f"last seq {database.last_seq()}, {len(found)} problem(s)"
            )
            problems.extend(found)
            connection.cacheGC()
        if writer is not None:
            tm.commit()
    return problems
