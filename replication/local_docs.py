"""``_local`` documents: replication checkpoints kept beside a database, never replicated.

CouchDB's replicators store where they stopped in ``_local/{replication id}``
on both peers.  They are small JSON objects, not documents: no revision tree,
no feed entry, invisible to views and listings.  Each carries a revision
``0-N`` so that two replicators writing the same checkpoint notice each
other (409), as CouchDB does.
"""
from __future__ import annotations

import json

from BTrees.OOBTree import OOBTree

from core.database import Database
from core.exceptions import BadRequest, DocumentNotFound, RevisionConflict

ANNOTATION = "replication.local"
MAX_ID_LENGTH = 512


def _table(database: Database, create: bool) -> OOBTree | None:
    table = database.annotations.get(ANNOTATION)
    if table is None and create:
        table = database.annotations[ANNOTATION] = OOBTree()
    return table


def _missing(local_id: str) -> DocumentNotFound:
    return DocumentNotFound("missing", local_id=local_id)


def check_local_id(local_id: object) -> str:
    if not isinstance(local_id, str) or not local_id or len(local_id) > MAX_ID_LENGTH:
        raise BadRequest(f"a _local id must be a non-empty string of at most {MAX_ID_LENGTH} characters")
    return local_id


def get_local(database: Database, local_id: str) -> dict[str, object]:
    table = _table(database, create=False)
    text = table.get(local_id) if table is not None else None
    if text is None:
        raise _missing(local_id)
    return json.loads(text)


def put_local(database: Database, local_id: str, body: object) -> str:
    """Store ``body`` under ``_local/{local_id}``; its ``_rev`` must name the stored one."""
    if not isinstance(body, dict):
        raise BadRequest("a _local document must be a JSON object")
    table = _table(database, create=True)
    stored = table.get(local_id)
    current = json.loads(stored)["_rev"] if stored is not None else None
    if body.get("_rev") != current:
        raise RevisionConflict(f"_local/{local_id} is at revision {current}, not {body.get('_rev')}")
    number = int(current.split("-", 1)[1]) + 1 if current else 1
    rev = f"0-{number}"
    fields = {k: v for k, v in body.items() if not k.startswith("_")}
    table[local_id] = json.dumps({"_id": f"_local/{local_id}", "_rev": rev, **fields},
                                 ensure_ascii=False)
    return rev


def delete_local(database: Database, local_id: str) -> None:
    table = _table(database, create=False)
    if table is None or local_id not in table:
        raise _missing(local_id)
    del table[local_id]
