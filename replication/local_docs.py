"""``_local`` documents: replication checkpoints kept beside a database, never replicated.

CouchDB's replicators store where they stopped in ``_local/{replication id}``
on both peers.  They are small JSON objects, not documents: no revision tree,
no feed entry, invisible to views and listings.  Each carries a revision
``0-N`` so that two replicators writing the same checkpoint notice each
other (409), as CouchDB does.

Each identity has a namespace of its own (keyed by its folded name), so a
Reader cannot read, rewrite or delete the checkpoint of the server's
replicator (whose id anyone can compute), and two identities may replicate
with the same id without meeting.  Each document is bounded in size and each
identity in count per database; each is a small persistent record of its own,
so a rewrite stores that record and not a bucket of its neighbours.
"""
from __future__ import annotations

import json

from BTrees.OOBTree import OOBTree
from persistent import Persistent

from core.acl import fold
from core.database import Database
from core.exceptions import BadRequest, DocumentNotFound, PayloadTooLarge, RevisionConflict

ANNOTATION = "replication.local_by_owner"
#: Where checkpoints were kept before they had owners; dropped when the new table is made
#: (each replication then compares from the start once).
UNOWNED_ANNOTATION = "replication.local"
MAX_ID_LENGTH = 512


class LocalDocument(Persistent):
    """One ``_local`` document's JSON text, in a record of its own."""

    def __init__(self, text: str) -> None:
        self.text = text


def owner_key(principal) -> str:
    """The namespace of ``principal``: its folded name ("" for anonymous callers)."""
    return fold(principal.name) if principal is not None else ""


def _namespace(database: Database, owner: str, create: bool) -> OOBTree | None:
    table = database.annotations.get(ANNOTATION)
    if table is None:
        if not create:
            return None
        database.annotations.pop(UNOWNED_ANNOTATION, None)
        table = database.annotations[ANNOTATION] = OOBTree()
    namespace = table.get(owner)
    if namespace is None and create:
        namespace = table[owner] = OOBTree()
    return namespace


def _missing(local_id: str) -> DocumentNotFound:
    return DocumentNotFound("missing", local_id=local_id)


def check_local_id(local_id: object) -> str:
    if not isinstance(local_id, str) or not local_id or len(local_id) > MAX_ID_LENGTH:
        raise BadRequest(f"a _local id must be a non-empty string of at most {MAX_ID_LENGTH} characters")
    return local_id


def get_local(database: Database, owner: str, local_id: str) -> dict[str, object]:
    """``owner``'s ``_local/{local_id}``; another identity's is missing, as if absent."""
    namespace = _namespace(database, owner, create=False)
    stored = namespace.get(local_id) if namespace is not None else None
    if stored is None:
        raise _missing(local_id)
    return json.loads(stored.text)


def put_local(database: Database, owner: str, local_id: str, body: object,
              max_bytes: int, max_documents: int) -> str:
    """Store ``body`` as ``owner``'s ``_local/{local_id}``; its ``_rev`` must name the stored one."""
    if not isinstance(body, dict):
        raise BadRequest("a _local document must be a JSON object")
    namespace = _namespace(database, owner, create=True)
    stored = namespace.get(local_id)
    current = json.loads(stored.text)["_rev"] if stored is not None else None
    if body.get("_rev") != current:
        raise RevisionConflict(f"_local/{local_id} is at revision {current}, not {body.get('_rev')}")
    number = int(current.split("-", 1)[1]) + 1 if current else 1
    rev = f"0-{number}"
    fields = {k: v for k, v in body.items() if not k.startswith("_")}
    text = json.dumps({"_id": f"_local/{local_id}", "_rev": rev, **fields}, ensure_ascii=False)
    if len(text.encode("utf-8")) > max_bytes:
        raise PayloadTooLarge(f"a _local document may hold at most {max_bytes} bytes "
                              "(setting domus.max_local_bytes)")
    if stored is None:
        if len(namespace) >= max_documents:
            raise PayloadTooLarge(f"you already keep {max_documents} _local documents in this database "
                                  "(setting domus.max_local_documents); delete some first")
        namespace[local_id] = LocalDocument(text)
    else:
        stored.text = text
    return rev


def delete_local(database: Database, owner: str, local_id: str) -> None:
    namespace = _namespace(database, owner, create=False)
    if namespace is None or local_id not in namespace:
        raise _missing(local_id)
    del namespace[local_id]
