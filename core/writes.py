"""Every way a document changes, in one place.

A ``Writer`` belongs to one transaction's worth of work (a request, a worker
round, an import batch).  Each operation builds an immutable revision, asks
the plugins (``validate_document``, ``before_save``, ``after_save``) inside
the transaction, accounts for it in the database (count, stubs, feed) and
queues an ``after_commit`` notification that fires only if the transaction
commits.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import BinaryIO

from core import revisions
from core.attachments import Attachment, check_attachment_name
from core.database import Change, Database
from core.document import Document, Revision, new_unid
from core.exceptions import (
    AlreadyExists,
    AttachmentNotFound,
    BadRequest,
    DocumentDeleted,
    PayloadTooLarge,
    RevisionConflict,
    ValidationFailed,
)
from core.items import changed_items
from core.readers import access_lists

log = logging.getLogger(__name__)


def utc_now() -> str:
    """ISO 8601 UTC with milliseconds: the spelling of every timestamp Domus stores."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Writer:
    """Makes revisions on behalf of ``principal`` within transaction manager ``tm``."""

    def __init__(self, pm, principal: str, tm, max_attachment_bytes: int = 2**31,
                 with_form: bool = False) -> None:
        self.pm = pm
        self.principal = principal
        self.with_form = with_form  # run the forms' rules (``compute_with_form``) on every edit
        self.tm = tm
        self.max_attachment_bytes = max_attachment_bytes
        self._pending: dict[str, list[Change]] = {}
        self._hooked_transaction = None
        self.touched = False  # set once this writer changed persistent state

    def discard_pending(self) -> None:
        """Forget queued notifications: the writes they describe were rolled back."""
        self._pending.clear()

    # -- operations ------------------------------------------------------
    def create(
        self,
        database: Database,
        items: dict[str, object],
        parent_unid: str | None = None,
        unid: str | None = None,
    ) -> Document:
        """A new document with its first revision; ``unid`` only for imports and tests."""
        unid = unid or new_unid()
        if unid in database.documents:
            raise AlreadyExists(f"document {unid} already exists")
        if parent_unid is not None:
            self._check_parent(database, parent_unid)
        document = Document(unid)
        self._save_edit(database, document, None, items, {}, parent_unid, was_live=False)
        return document

    def update(
        self,
        database: Database,
        document: Document,
        items: dict[str, object],
        rev: object,
        parent_unid: str | None | object = ...,
    ) -> Revision:
        """Replace the items of a live document; ``rev`` must be its current revision."""
        previous = self._editable(document, rev)
        if parent_unid is ...:
            parent_unid = previous.parent_unid
        elif parent_unid is not None:
            self._check_parent(database, parent_unid, document.unid)
        return self._save_edit(
            database, document, previous, items, previous.attachments, parent_unid, was_live=True
        )

    def delete(self, database: Database, document: Document, rev: object) -> Revision:
        """Replace the document by a deletion stub (restorable until purged)."""
        previous = self._editable(document, rev)
        return self._store(
            database,
            document,
            previous,
            items={},
            attachments={},
            parent_unid=previous.parent_unid,
            deleted=True,
            was_live=True,
        )

    def restore(self, database: Database, document: Document) -> Revision:
        """Make a deleted document live again with the items it had before deletion."""
        stub = document.current()
        if not stub.deleted:
            raise BadRequest(f"document {document.unid} is not deleted")
        last_live = next((r for r in document.history() if not r.deleted), None)
        if last_live is None:
            raise BadRequest(f"document {document.unid} has no live revision to restore")
        return self._store(
            database,
            document,
            stub,
            items=dict(last_live.items),
            attachments=last_live.attachments,
            parent_unid=last_live.parent_unid,
            deleted=False,
            was_live=False,
        )

    def resolve(
        self, database: Database, document: Document, keep: object, items: dict | None = None
    ) -> Revision:
        """End a replication or save conflict: one live revision remains, the others are deleted.

        ``keep`` names the live revision to keep; with ``items`` (a merged body)
        the kept revision is edited first.  Each loser gets a deletion on its own
        branch, as CouchDB does, so the resolution replicates like any edit.
        """
        live = [document.winner, *document.conflicts()]
        if document.deleted or len(live) < 2:
            raise BadRequest(f"document {document.unid} has no conflict to resolve")
        if keep not in live:
            raise RevisionConflict(
                f"{keep!r} is not one of the conflicting revisions {', '.join(live)}", current=live
            )
        if items is not None:
            self.update(database, document, items, keep)
        for rev in live:
            if rev != keep:
                self.delete(database, document, rev)
        return document.current()

    def put_attachment(
        self,
        database: Database,
        document: Document,
        rev: object,
        name: str,
        content_type: str,
        stream: BinaryIO,
        length: int | None,
    ) -> Revision:
        """Store a file (streamed) under ``name`` in a new revision."""
        previous = self._editable(document, rev)
        name = check_attachment_name(name)
        if length is not None and length > self.max_attachment_bytes:
            raise PayloadTooLarge(
                f"attachment is larger than the limit of {self.max_attachment_bytes} bytes"
            )
        attachment = Attachment(name, content_type or "application/octet-stream")
        attachment.fill(stream, self.max_attachment_bytes, length)
        return self._replace_attachments(
            database, document, previous, {**previous.attachments, name: attachment}
        )

    def delete_attachment(
        self, database: Database, document: Document, rev: object, name: str
    ) -> Revision:
        previous = self._editable(document, rev)
        if name not in previous.attachments:
            raise AttachmentNotFound(f"document {document.unid} has no attachment {name!r}")
        attachments = {k: v for k, v in previous.attachments.items() if k != name}
        return self._replace_attachments(database, document, previous, attachments)

    def graft(
        self,
        database: Database,
        document: Document,
        revision: Revision,
        *,
        stems: tuple[str, ...] = (),
        created: str | None = None,
    ) -> None:
        """Add a revision made elsewhere (import, replication) with its own id.

        A live revision passes the same ``validate_document`` hooks as an edit,
        told ``grafted=True``: its items are fixed by its revision id, so
        ``before_save`` cannot adjust them, and a plugin whose ``before_save``
        would (the directory strips passwords) refuses such a revision there.
        A refused revision raises ``ValidationFailed`` and changes nothing.
        ``stems`` are the ancestors known by id only between the revision and
        its held parent; ``created`` the document's creation time where the
        revision was made (the earlier of it and ours is kept).
        """
        was_live = bool(document.tree) and not document.deleted
        if revision.rev in document.tree:
            return
        if not revision.deleted:
            previous = document.bodies.get(revision.parent_rev) if revision.parent_rev else None
            self._validate(self.pm.hook.validate_document, database, document, revision.items,
                           previous, grafted=True)
        if created and (not document.tree or created < document.created):
            document.created = created
        if stems:
            document.stems = {**(document.stems or {}), revision.rev: stems}
        self.touched = True
        document.add(revision)
        self._account(database, document, revision, was_live)

    # -- internals -------------------------------------------------------
    def _editable(self, document: Document, rev: object) -> Revision:
        """The leaf revision the client edits; stale, forged or missing revisions are 409."""
        if rev is None:
            raise RevisionConflict(
                f"name the revision you edit (If-Match header or @rev); current is {document.winner}",
                current=document.winner,
            )
        revisions.parse_rev(rev)
        if document.winner != rev and (rev not in document.tree or rev not in document.conflicts()):
            raise RevisionConflict(
                f"revision {rev} is not the current revision {document.winner} of {document.unid}",
                current=document.winner,
            )
        previous = document.bodies[rev]
        if previous.deleted:
            raise DocumentDeleted(f"document {document.unid} is deleted; restore it first")
        return previous

    def _replace_attachments(
        self,
        database: Database,
        document: Document,
        previous: Revision,
        attachments: Mapping[str, Attachment],
    ) -> Revision:
        """A new revision with the same items and another set of files."""
        return self._store(
            database,
            document,
            previous,
            items=dict(previous.items),
            attachments=attachments,
            parent_unid=previous.parent_unid,
            deleted=False,
            was_live=True,
        )

    def _validate(self, hook, database, document, items, previous, **extra: object) -> None:
        """Ask ``hook`` of every plugin; any problem refuses the write (422) before it is made."""
        problems = [
            problem
            for result in hook(database=database, document=document, items=items,
                               previous=previous, principal=self.principal, **extra)
            for problem in result or ()
        ]
        if problems:
            raise ValidationFailed(
                "; ".join(str(p.get("message")) for p in problems), errors=problems
            )

    def _check_parent(self, database: Database, parent_unid: object, unid: str = "") -> None:
        if not isinstance(parent_unid, str) or parent_unid == unid:
            raise BadRequest(f"@parent must be the UNID of another document, got {parent_unid!r}")
        parent = database.get_document(parent_unid)
        if parent.deleted:
            raise BadRequest(f"parent document {parent_unid} is deleted")

    def _save_edit(
        self,
        database: Database,
        document: Document,
        previous: Revision | None,
        items: dict[str, object],
        attachments: Mapping[str, Attachment],
        parent_unid: str | None,
        was_live: bool,
    ) -> Revision:
        items = dict(items)
        if self.with_form:
            self._validate(self.pm.hook.compute_with_form, database, document, items, previous)
        self._validate(self.pm.hook.validate_document, database, document, items, previous,
                       grafted=False)
        self.touched = True  # before_save may change persistent state (the directory does)
        self.pm.hook.before_save(
            database=database,
            document=document,
            items=items,
            previous=previous,
            principal=self.principal,
        )
        return self._store(
            database,
            document,
            previous,
            items=items,
            attachments=attachments,
            parent_unid=parent_unid,
            deleted=False,
            was_live=was_live,
        )

    def _store(
        self,
        database: Database,
        document: Document,
        previous: Revision | None,
        *,
        items: dict[str, object],
        attachments: Mapping[str, Attachment],
        parent_unid: str | None,
        deleted: bool,
        was_live: bool,
    ) -> Revision:
        parent_rev = previous.rev if previous else None
        digests = {name: att.sha256 for name, att in attachments.items()}
        items_json = revisions.canonical_json(items)
        rev = revisions.make_rev(parent_rev, deleted, items_json, digests, parent_unid)
        if rev in document.tree:
            raise RevisionConflict(f"revision {rev} already exists: nothing changed")
        revision = Revision(
            rev,
            parent_rev,
            items,
            items_json=items_json,
            deleted=deleted,
            attachments=attachments,
            parent_unid=parent_unid,
            updated_by=self.principal,
            timestamp=utc_now(),
            changed=changed_items(previous.items if previous else {}, items)
            + _changed_attachments(previous.attachments if previous else {}, attachments),
        )
        self.touched = True
        document.add(revision)
        self._account(database, document, revision, was_live)
        return revision

    def _account(
        self, database: Database, document: Document, revision: Revision, was_live: bool
    ) -> None:
        old_parent = None
        if revision.parent_rev and revision.parent_rev in document.bodies:
            old_parent = document.bodies[revision.parent_rev].parent_unid
        current = document.current()
        if old_parent and old_parent != current.parent_unid:
            database.unlink_response(old_parent, document.unid)
        if current.parent_unid:
            database.link_response(current.parent_unid, document.unid)
        was_readers = document.readers
        if not current.deleted:
            document.readers, document.authors = access_lists(database.design, current.items)
        database.store(document, was_live, was_readers)
        self.pm.hook.after_save(
            database=database, document=document, revision=revision, principal=self.principal
        )
        self._queue_notification(database.name, document)

    def _queue_notification(self, database_name: str, document: Document) -> None:
        transaction = self.tm.get()
        if self._hooked_transaction is not transaction:
            self._pending = {}
            self._hooked_transaction = transaction
            transaction.addAfterCommitHook(self._after_commit, (self._pending,))
        self._pending.setdefault(database_name, []).append(
            Change(document.seq, document.unid, document.winner, document.deleted)
        )

    def _after_commit(self, committed: bool, pending: dict[str, list[Change]]) -> None:
        if not committed:
            return
        for database_name, changes in pending.items():
            try:
                self.pm.hook.after_commit(database_name=database_name, changes=changes)
            except Exception:  # the write is acknowledged; a listener must not undo that
                log.exception("after_commit listener failed for %s", database_name)


def _changed_attachments(old: Mapping[str, Attachment], new: Mapping[str, Attachment]) -> tuple[str, ...]:
    """Attachments added, replaced or removed, named ``@attachments/NAME`` in a history entry."""
    names = set(old) | set(new)
    return tuple(
        f"@attachments/{name}"
        for name in sorted(names)
        if (old[name].sha256 if name in old else None) != (new[name].sha256 if name in new else None)
    )
