"""What of a document goes into the full-text index, and under which field names.

Fixed fields have lower-case names; every short item (subjects, names,
numbers, keywords: up to ``ITEM_FIELD_CHARS``) is also a field under its own
name (``Subject:кровля``), through a glob field, so the index needs no
change when a form gains an item.  Long texts (a letter's body) are searched
through ``text`` only: indexing them twice would halve the indexing rate.
Item names start with a letter and are usually capitalised (``core.items``),
so an item whose name equals a fixed field's is left to ``text`` only.

- ``unid``: the document, stored and kept as a column (search within a view
  maps UNIDs to index positions without reading stored fields);
- ``readers``: one term per set of Readers names (``PUBLIC`` for none): the
  search asks the gate about each distinct set once and masks the ones the
  caller may not see, so hidden documents are neither shown nor counted;
- ``text``: every item's text and the attachments' text, stored for snippets;
- ``form``, ``created``, ``modified``: for ``form:memo`` and sorting;
- ``files``: attachment names;
- ``sort_<item>``: a sortable key of each scalar item, for results by an item.
"""
from __future__ import annotations

from datetime import datetime

from whoosh import fields

from views.fulltext.analysis import ANALYZER_KIND, make_analyzer

PUBLIC = "*"
READERS_SEPARATOR = "\x1f"
SORT_PREFIX = "sort_"
FIXED = ("unid", "readers", "text", "form", "created", "modified", "files")
MAX_ITEM_TEXT = 100_000  # characters of one item that are indexed
ITEM_FIELD_CHARS = 500  # items up to this long are also fields of their own (``Subject:кровля``)
SORT_KEY_CHARS = 64


def make_schema(how: str = ANALYZER_KIND) -> fields.Schema:
    analyzer = make_analyzer(how)
    schema = fields.Schema(
        unid=fields.ID(stored=True, unique=True, sortable=True),
        readers=fields.ID(),
        text=fields.TEXT(analyzer=analyzer, stored=True),
        form=fields.KEYWORD(lowercase=True),
        created=fields.DATETIME(sortable=True),
        modified=fields.DATETIME(sortable=True),
        files=fields.KEYWORD(lowercase=True, commas=True),
    )
    schema.add(f"{SORT_PREFIX}*", fields.ID(sortable=True), glob=True)
    # Item fields keep no positions: phrases are searched in ``text``, which has them.
    schema.add("*", fields.TEXT(analyzer=analyzer, phrase=False), glob=True)
    return schema


def readers_term(readers) -> str:
    """The ``readers`` term of a set of folded names (None: everyone)."""
    return READERS_SEPARATOR.join(sorted(readers)) if readers else PUBLIC


def readers_of_term(term: str) -> tuple[str, ...] | None:
    """The sorted names a ``readers`` term stands for, as the gate's ``row_filter`` takes them."""
    return None if term == PUBLIC else tuple(term.split(READERS_SEPARATOR))


def _strings(value) -> list[str]:
    """The text of an item value: strings, numbers, lists of them; nested objects flattened."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, str | int | float):
        return [str(value)]
    if isinstance(value, list):
        return [text for member in value for text in _strings(member)]
    if isinstance(value, dict):
        return [text for member in value.values() for text in _strings(member)]
    return []


def sort_key(value) -> str | None:
    """A key that sorts numbers by value before text by letters (None: not sortable)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        # Offset and zero-pad so that text order is number order for |value| < 10**15.
        return f"0{value + 10**15:032.6f}"
    if isinstance(value, str):
        return "1" + value.casefold().replace("ё", "е")[:SORT_KEY_CHARS]
    return None


def _timestamp(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)
    except (TypeError, ValueError):
        return None


def document_fields(document, attachment_texts: list[str]) -> dict[str, object]:
    """The fields of the current revision of ``document`` (a live one)."""
    revision = document.current()
    items = revision.items
    parts: list[str] = []
    out: dict[str, object] = {"unid": document.unid,
                              "readers": readers_term(document.readers)}
    for name, value in items.items():
        texts = _strings(value)
        if not texts:
            continue
        joined = "\n".join(texts)[:MAX_ITEM_TEXT]
        parts.append(joined)
        if (len(joined) <= ITEM_FIELD_CHARS and name not in FIXED and name.isidentifier()
                and not name.startswith(SORT_PREFIX)):
            out[name] = joined
            key = sort_key(value)
            if key is not None:
                out[SORT_PREFIX + name] = key
    form = items.get("Form")
    if isinstance(form, str) and form:
        out["form"] = form
    for name, when in (("created", document.created), ("modified", revision.timestamp)):
        stamp = _timestamp(when)
        if stamp is not None:
            out[name] = stamp
    if revision.attachments:
        out["files"] = ",".join(sorted(revision.attachments))
    parts.extend(attachment_texts)
    out["text"] = "\n".join(parts)
    return out
