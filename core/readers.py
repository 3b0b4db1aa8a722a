"""Readers and Authors items: which names may see, and which may edit, one document.

A form declares items of type ``readers`` or ``authors``; items named
``Readers`` and ``Authors`` count as such in every document, whatever its
form says, so a restriction never silently fails because a form is missing.
Values are names of people, servers, groups or the database's ``[roles]``.
A document whose Readers items are all empty is visible to every reader of
the database; otherwise only to the names listed in its Readers or Authors
items (Authors may always read what they may edit, as in Domino).
"""
from __future__ import annotations

from collections.abc import Mapping

from core.acl import fold
from core.plugins import hookimpl

READERS, AUTHORS = "readers", "authors"
_ALWAYS = {"Readers": READERS, "Authors": AUTHORS}


def access_items(design: Mapping, form: object) -> dict[str, str]:
    """Item name -> ``readers`` or ``authors`` for documents of ``form``."""
    kinds = dict(_ALWAYS)
    forms = design.get("forms", {})
    definition = forms.get(form) if isinstance(form, str) else None
    for item in (definition or {}).get("items", []):
        if item.get("type") in (READERS, AUTHORS):
            kinds[item["name"]] = item["type"]
    return kinds


def _names(value: object) -> set[str]:
    values = value if isinstance(value, list) else [value]
    return {fold(v) for v in values if isinstance(v, str) and v.strip()}


def named_in(design: Mapping, items: Mapping) -> dict[str, set[str]]:
    """Names listed per Readers/Authors item of ``items`` (unfolded item names)."""
    return {
        name: _names(items[name])
        for name in access_items(design, items.get("Form"))
        if name in items
    }


def access_lists(design: Mapping, items: Mapping) -> tuple[frozenset[str] | None, frozenset[str]]:
    """``(readers, authors)``: who may see the document and who may edit it.

    ``readers`` is None when the document is open to every reader of the
    database; otherwise the names of its Readers *and* Authors items.
    """
    kinds = access_items(design, items.get("Form"))
    readers: set[str] = set()
    authors: set[str] = set()
    for name, kind in kinds.items():
        if name in items:
            (readers if kind == READERS else authors).update(_names(items[name]))
    return (frozenset(readers | authors) if readers else None), frozenset(authors)


def revision_readers(design: Mapping, revision) -> frozenset[str] | None:
    """Who may see ``revision`` by its own Readers and Authors items (None: every reader).

    An older revision keeps the Readers it was saved with, so text an edit
    removed stays behind them.  The answer is memoised on the loaded revision
    (revisions never change) for as long as the design is the same object: a
    design change replaces ``database.design`` and so recomputes it.
    """
    cached = getattr(revision, "_v_readers", None)
    if cached is None or cached[0] is not design:
        cached = revision._v_readers = (design, access_lists(design, revision.items)[0])
    return cached[1]


def _unknown_names(database, named: dict[str, set[str]]) -> list[dict[str, str]]:
    from core.identity import DIRECTORY, is_known_name
    from core.root import root_of

    root = root_of(database)
    directory = root.databases.get(DIRECTORY) if root is not None else None
    if directory is None:
        return []
    roles = {fold(role) for role in database.design["acl"]["roles"]}
    problems = []
    for item, names in sorted(named.items()):
        unknown = sorted(
            name for name in names
            if not (name in roles if name.startswith("[") else is_known_name(directory, name))
        )
        if unknown:
            problems.append({
                "item": item,
                "message": f"{item} names {', '.join(unknown)}: no such person, server, group "
                           "or role of this database",
            })
    return problems


@hookimpl
def validate_document(database, document, items, previous, principal):
    """Refuse Readers/Authors names that match nobody: such a document would be lost to everyone."""
    named = named_in(database.design, items)
    if previous is not None:
        before = named_in(database.design, previous.items)
        named = {item: names - before.get(item, set()) for item, names in named.items()}
    return _unknown_names(database, {item: names for item, names in named.items() if names})
