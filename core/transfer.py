"""``domus export`` and ``domus import``: a database as one portable file.

The file is a ZIP written deterministically (fixed dates, fixed order), so an
export imported into an empty server and exported again gives the same bytes:

- ``database.json``: name, title, template, replica ID, purge interval,
  design, and for the directory the password hashes kept beside Person
  documents;
- ``documents.jsonl``: one line per document in feed order, each with every
  revision of its tree (parents first), items, authors, times, changed items
  and attachment digests;
- ``attachments/<sha256>``: each distinct file once.

Import grafts the revisions with their own ids, so history, conflicts and
deletion stubs come back as they were.  Each live revision passes the same
``validate_document`` hooks as any write (``Writer.graft``): a file that holds
what the API would refuse (a Readers item naming nobody here, a directory
entry with a taken name or a password) stops the import and nothing is kept.
"""
from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from core import identity, revisions
from core.attachments import Attachment
from core.database import Database
from core.document import Document, Revision
from core.exceptions import AlreadyExists, BadRequest
from core.root import server_root
from core.storage import connection_scope
from core.templates import install_database
from core.text import check_json_text
from core.writes import Writer

FORMAT = 1
_EPOCH = (1980, 1, 1, 0, 0, 0)
BATCH = 500


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _revision_record(revision: Revision) -> dict[str, object]:
    """A revision as the export writes it (``foreign`` only when set, so Domus's own stay as they were)."""
    record: dict[str, object] = {
        "rev": revision.rev,
        "parent": revision.parent_rev,
        "deleted": revision.deleted,
        "parentUnid": revision.parent_unid,
        "updatedBy": revision.updated_by,
        "timestamp": revision.timestamp,
        "changed": list(revision.changed),
        "items": revision.items,
        "attachments": {
            name: {"contentType": att.content_type, **att.describe()}
            for name, att in sorted(revision.attachments.items())
        },
    }
    if revision.foreign:
        record["foreign"] = True
    return record


def _tree_order(document: Document) -> list[Revision]:
    """Every revision, parents before children, in a stable order."""
    return sorted(document.bodies.values(), key=lambda r: revisions.parse_rev(r.rev))


def _database_record(database: Database) -> dict[str, object]:
    record: dict[str, object] = {
        "format": FORMAT,
        "name": database.name,
        "title": database.title,
        "template": database.template,
        "replicaId": database.replica_id,
        "purgeIntervalDays": database.purge_interval_days,
        "design": database.design,
    }
    if database.name == identity.DIRECTORY:
        record["credentials"] = dict(identity.identity_state(database).credentials.items())
    return record


def export_database(db, name: str, path: Path, progress: Callable[[int], None] = lambda n: None) -> int:
    """Write database ``name`` to ``path``; returns the number of documents."""
    with connection_scope(db) as (tm, connection):
        tm.begin()
        database = server_root(connection).get_database(name)
        blobs: dict[str, Attachment] = {}
        count = 0
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(_entry("database.json"), revisions.canonical_json(_database_record(database)))
            with archive.open(_entry("documents.jsonl"), "w") as out:
                for change in _all_changes(database):
                    document = database.documents[change.unid]
                    records = [_revision_record(r) for r in _tree_order(document)]
                    for revision in document.bodies.values():
                        for attachment in revision.attachments.values():
                            blobs.setdefault(attachment.sha256, attachment)
                    line_record: dict[str, object] = {"unid": document.unid, "revisions": records}
                    if document.stems:
                        line_record["stems"] = {rev: list(ids) for rev, ids in document.stems.items()}
                    line = revisions.canonical_json(line_record)
                    out.write(line.encode("utf-8") + b"\n")
                    count += 1
                    progress(1)
                    if count % BATCH == 0:
                        connection.cacheGC()
            for sha256 in sorted(blobs):
                with archive.open(_entry(f"attachments/{sha256}"), "w") as out, blobs[sha256].open() as src:
                    while chunk := src.read(1 << 16):
                        out.write(chunk)
        return count


def _all_changes(database: Database) -> Iterator:
    since = 0
    while True:
        batch = database.changes_since(since, BATCH)
        if not batch:
            return
        yield from batch
        since = batch[-1].seq


def count_documents(path: Path) -> int:
    with zipfile.ZipFile(path) as archive, archive.open("documents.jsonl") as lines:
        return sum(1 for _ in lines)


def import_database(
    db, pm, path: Path, new_name: str | None = None, progress: Callable[[int], None] = lambda n: None
) -> tuple[str, int]:
    """Create a database from an export file; returns its name and document count."""
    with zipfile.ZipFile(path) as archive, connection_scope(db) as (tm, connection):
        record = json.loads(archive.read("database.json"))
        if record.get("format") != FORMAT:
            raise BadRequest(f"{path} is not a Domus export of format {FORMAT}")
        tm.begin()
        root = server_root(connection)
        name = new_name or record["name"]
        if name in root.databases:
            raise AlreadyExists(f"database {name!r} already exists; import under another --name")
        database = install_database(
            root,
            pm,
            Database(
                name,
                record["title"],
                record["template"],
                record["design"],
                replica_id=record["replicaId"],
                purge_interval_days=record["purgeIntervalDays"],
            ),
        )
        connection.add(database)  # joined now: validation finds the directory through it
        for unid, stored in record.get("credentials", {}).items():
            identity.identity_state(database).credentials[unid] = stored
        writer = Writer(pm, "domus-import", tm)
        files: dict[str, Attachment] = {}
        count = 0
        with archive.open("documents.jsonl") as lines:
            for line in lines:
                _import_document(archive, writer, database, check_json_text(json.loads(line)), files)
                count += 1
                progress(1)
                if count % BATCH == 0:
                    tm.commit()
                    tm.begin()
        tm.commit()
        return name, count


def _import_document(archive, writer: Writer, database: Database, record: dict, files: dict) -> None:
    document = Document(record["unid"])
    # Ancestors known by id only (a copy from a peer without its whole history) and revisions
    # made by foreign peers travel too: without them the replicas would no longer match.
    document.stems = {rev: tuple(ids) for rev, ids in record.get("stems", {}).items()} or None
    for entry in record["revisions"]:
        attachments = {
            name: _attachment(archive, name, meta, files) for name, meta in entry["attachments"].items()
        }
        revision = Revision(
            entry["rev"],
            entry["parent"],
            entry["items"],
            deleted=entry["deleted"],
            attachments=attachments,
            parent_unid=entry["parentUnid"],
            updated_by=entry["updatedBy"],
            timestamp=entry["timestamp"],
            changed=tuple(entry["changed"]),
        )
        revision.foreign = entry.get("foreign", False)
        writer.graft(database, document, revision)


def _attachment(archive, name: str, meta: dict, files: dict[str, Attachment]) -> Attachment:
    """One Attachment object per distinct file and name, as the exporter shared them."""
    key = f"{meta['sha256']}/{name}/{meta['contentType']}"
    attachment = files.get(key)
    if attachment is None:
        attachment = files[key] = Attachment(name, meta["contentType"])
        with archive.open(f"attachments/{meta['sha256']}") as source:
            attachment.fill(source, limit=1 << 62)
        if attachment.sha256 != meta["sha256"]:
            raise BadRequest(f"attachment {name!r} in the export is corrupt (SHA-256 mismatch)")
    return attachment
