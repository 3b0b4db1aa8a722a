"""Revision ids and revision trees, as CouchDB defines them.

A revision id is ``N-hash``: ``N`` counts the edits from the document's first
revision, ``hash`` is the MD5 of the parent revision and the content, so the
same edit made on two replicas gets the same id.  A tree maps every revision to
its parent and its deletion flag; it may have several leaves after replicas
edited the same document.  The winner is chosen by CouchDB's rule (live leaves
before deleted ones, then the longest path, then the greater id), so every
replica agrees on it without talking to the others.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping

from core.exceptions import BadRequest

_REV = re.compile(r"^([1-9][0-9]{0,9})-([0-9a-f]{1,64})$")

#: rev -> (parent rev or None, deleted)
Tree = Mapping[str, tuple[str | None, bool]]


def canonical_json(value: object) -> str:
    """The one spelling of a JSON value used for hashing and exports."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def parse_rev(rev: object) -> tuple[int, str]:
    """Split ``N-hash``; a malformed id is a client error, never a crash."""
    match = _REV.match(rev) if isinstance(rev, str) else None
    if match is None:
        raise BadRequest(f"malformed revision {rev!r}: expected N-hash, e.g. 3-9f2c…")
    return int(match.group(1)), match.group(2)


def make_rev(
    parent: str | None,
    deleted: bool,
    items: Mapping[str, object] | str,
    attachment_digests: Mapping[str, str],
    parent_unid: str | None = None,
) -> str:
    """The deterministic id of a new revision on top of ``parent``.

    ``items`` may be given already as ``canonical_json(items)``: the writer
    serialises them once, for this hash and for storage.
    """
    generation = parse_rev(parent)[0] + 1 if parent else 1
    items_json = items if isinstance(items, str) else canonical_json(items)
    digests = canonical_json(sorted(attachment_digests.items())) if attachment_digests else "[]"
    # The same text as canonical_json([parent, deleted, parent_unid, items, digests]),
    # spelled out because this runs for every write.
    payload = (
        f"[{_json_text(parent)},{'true' if deleted else 'false'},{_json_text(parent_unid)},"
        f"{items_json},{digests}]"
    )
    return f"{generation}-{hashlib.md5(payload.encode('utf-8')).hexdigest()}"


def _json_text(value: str | None) -> str:
    return "null" if value is None else json.dumps(value, ensure_ascii=False)


def sort_key(rev: str, deleted: bool) -> tuple[bool, int, str]:
    """Order of precedence for picking a winner: greater wins."""
    generation, digest = parse_rev(rev)
    return (not deleted, generation, digest)


def leaves(tree: Tree) -> list[str]:
    """Revisions that no other revision names as parent."""
    parents = {parent for parent, _ in tree.values() if parent is not None}
    return [rev for rev in tree if rev not in parents]


def winner(tree: Tree) -> str:
    """The revision every replica shows as the document's current one."""
    return max(leaves(tree), key=lambda rev: sort_key(rev, tree[rev][1]))


def conflicts(tree: Tree) -> list[str]:
    """Live leaves that lost to the winner: Domino's replication conflicts."""
    best = winner(tree)
    return sorted(
        (rev for rev in leaves(tree) if rev != best and not tree[rev][1]),
        key=lambda rev: sort_key(rev, False),
        reverse=True,
    )


def ancestry(tree: Tree, rev: str) -> list[str]:
    """``rev`` and its ancestors present in the tree, newest first."""
    path = []
    current: str | None = rev
    while current is not None and current in tree:
        path.append(current)
        current = tree[current][0]
    return path
