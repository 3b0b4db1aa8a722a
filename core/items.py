"""What a document's items may be: names and JSON values.

Items are schemaless JSON; forms add types later.  This module refuses what
could never be stored or replicated faithfully: reserved names (``@``, ``_``,
``$`` belong to the system), non-JSON values, NaN, nesting deep enough to
exhaust the stack, text that is not valid Unicode (``core.text``).
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping

from core.exceptions import InvalidItem
from core.text import check_text, scrub

RESERVED_PREFIXES = ("@", "_", "$")
METADATA_KEYS = frozenset(
    {"@unid", "@rev", "@parent", "@created", "@modified", "@updatedBy", "@attachments",
     "@conflicts", "@deleted"}
)
MAX_ITEMS = 2000
MAX_DEPTH = 32
_NAME = re.compile(r"^[^\W\d_][\w.\-]{0,127}$")


_checked_names: set[str] = set()  # names seen valid; documents repeat the same few


def check_item_name(name: object) -> str:
    """Return ``name`` if it is a usable item name, else raise ``InvalidItem``."""
    if name in _checked_names:
        return name  # type: ignore[return-value]
    if not isinstance(name, str) or not name:
        raise InvalidItem(f"item names must be non-empty strings, got {name!r}")
    check_text(name, f"item name {scrub(name)[:40]!r}")
    if name.startswith(RESERVED_PREFIXES):
        raise InvalidItem(
            f"item name {name!r} is reserved: names beginning with @, _ or $ belong to the system",
            item=name,
        )
    if not _NAME.match(name):
        raise InvalidItem(
            f"item name {name[:40]!r} must start with a letter and hold only letters, digits, "
            "'_', '.', '-' (at most 128 characters)",
            item=name[:128],
        )
    if len(_checked_names) < 10000:
        _checked_names.add(name)
    return name


def _check_value(name: str, value: object, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise InvalidItem(f"item {name!r} nests deeper than {MAX_DEPTH} levels", item=name)
    if isinstance(value, str):
        check_text(value, f"item {name!r}")
        return
    if value is None or isinstance(value, (bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidItem(f"item {name!r} holds {value!r}, which JSON cannot carry", item=name)
        return
    if isinstance(value, list):
        for element in value:
            _check_value(name, element, depth + 1)
        return
    if isinstance(value, dict):
        for key, element in value.items():
            if not isinstance(key, str):
                raise InvalidItem(f"item {name!r} has a non-string key", item=name)
            check_text(key, f"a key in item {name!r}")
            _check_value(name, element, depth + 1)
        return
    raise InvalidItem(f"item {name!r} holds a {type(value).__name__}, not a JSON value", item=name)


def split_document_json(body: object) -> tuple[dict[str, object], dict[str, object]]:
    """Separate a document JSON object into (items, metadata).

    Metadata keys are the ``@`` keys of DESIGN.md: ``@unid``, ``@rev`` and
    ``@parent`` are read, the rest (``@modified``, …) may come back from a
    GET-edit-PUT round and are ignored.  Any other reserved name is refused.
    """
    if not isinstance(body, Mapping):
        raise InvalidItem("a document must be a JSON object of items")
    if len(body) > MAX_ITEMS:
        raise InvalidItem(f"a document may hold at most {MAX_ITEMS} items")
    items: dict[str, object] = {}
    meta: dict[str, object] = {}
    for name, value in body.items():
        if name in METADATA_KEYS:
            meta[name] = value
            continue
        check_item_name(name)
        _check_value(name, value, 0)
        items[name] = value
    return items, meta


def changed_items(old: Mapping[str, object], new: Mapping[str, object]) -> tuple[str, ...]:
    """Names of the items added, removed or changed between two revisions."""
    names = set(old) | set(new)
    return tuple(sorted(n for n in names if old.get(n, _MISSING) != new.get(n, _MISSING)))


_MISSING = object()
