"""What of a document goes into the full-text index, and under which field names.

A document is a handful of postings per distinct word, whatever its form:
Whoosh's cost grows with fields and postings (each field of a document has
its own length column and posting lists), so items are not fields of their
own.  The fields are fixed:

- ``unid``: the document, stored and kept as a column (search within a view
  maps UNIDs to index positions without reading stored fields);
- ``readers``: one term per set of Readers names (``PUBLIC`` for none): the
  search asks the gate about each distinct set once and masks the ones the
  caller may not see, so hidden documents are neither shown nor counted;
- ``text``: every item's text and the attachments' text, with word positions
  (phrases); the only field with lengths (BM25);
- ``attached``: the attachments' text, stored: snippets are cut from the
  items (read from the database for the row anyway) and this; storing the
  whole text would cost a compressed copy of every document;
- ``items``: ``item:term`` keywords of each short item (up to
  ``ITEM_FIELD_CHARS``: subjects, names, numbers, keywords, the form), the
  item name case-folded and the words analysed as in ``text``, so that
  ``Subject:кровли`` and ``form:memo`` are one term each
  (``views.fulltext.query`` rewrites them); no positions, no lengths;
- ``files``: attachment names;
- ``sorts``: one column holding a sortable key of each such item, for results
  by an item; ``created`` and ``modified``: columns of their times.

``SCHEMA_VERSION`` is written beside each index: an index built with another
schema is not searched but built anew (``views.fulltext.index``).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from whoosh import columns, fields, formats

from core.text import bad_character, scrub_json
from views.fulltext.analysis import ANALYZER_KIND, make_analyzer, term_positions

SCHEMA_VERSION = 2  # 1: a field per short item (until 2026-11)
PUBLIC = "*"
READERS_SEPARATOR = "\x1f"
ITEMS, SORTS = "items", "sorts"
ITEM_SEPARATOR = ":"
SORT_START, SORT_SEPARATOR = b"\x1e", b"\x1f"  # the ``sorts`` column: \x1e name \x1f key, ...
MAX_ITEM_TEXT = 100_000  # characters of one item that are indexed
ITEM_FIELD_CHARS = 500  # items up to this long are also ``item:term`` keywords (``Subject:кровля``)
SORT_KEY_CHARS = 64
EPOCH = datetime(1970, 1, 1)
MICROSECOND = timedelta(microseconds=1)


@cache
def _one_position(position: int) -> bytes:
    return formats.Positions().encode([position])


class Text(fields.TEXT):
    """The ``text`` field: Whoosh's TEXT, indexed through ``term_positions`` rather than
    Whoosh's token objects (the same words and terms, at a fraction of the cost)."""

    def __init__(self, how: str) -> None:
        super().__init__(analyzer=make_analyzer(how))
        self.how = how

    def index(self, value, **kwargs):
        encode = self.format.encode
        for term, positions in term_positions(value, self.how).items():
            count = len(positions)
            # Most words occur once in a document, at one of a few hundred positions.
            yield (term.encode("utf-8"), count, float(count),
                   _one_position(positions[0]) if count == 1 else encode(positions))


class Id(fields.ID):
    """Whoosh's ID (the value is the term), without its one-token analyzer chain."""

    def index(self, value, **kwargs):
        yield value.encode("utf-8"), 1, 1.0, b""


class Keywords(fields.FieldType):
    """The ``items`` field: its value is ``(item_key(name), text)`` pairs, indexed as the terms
    ``name:term`` of each text's words, without frequencies, positions or lengths.  The words
    are analysed here, not in ``document_fields``, so that a rebuild does it in its workers."""

    def __init__(self) -> None:
        super().__init__(formats.Existence(), analyzer=None)

    def index(self, value, **kwargs):
        terms = {prefix + term for prefix, text in value for term in term_positions(text)}
        for term in terms:
            yield term.encode("utf-8"), 1, 1.0, b""


def make_schema(how: str = ANALYZER_KIND) -> fields.Schema:
    return fields.Schema(
        unid=Id(stored=True, unique=True, sortable=True),
        readers=Id(),
        text=Text(how),
        attached=fields.STORED(),
        items=Keywords(),
        files=fields.KEYWORD(lowercase=True, commas=True),
        sorts=fields.COLUMN(columns.VarBytesColumn()),
        created=fields.COLUMN(columns.NumericColumn("q")),
        modified=fields.COLUMN(columns.NumericColumn("q")),
    )


def item_key(name: str) -> str:
    """How an item's name is written in its ``items`` terms and ``sorts`` keys."""
    return name.casefold() + ITEM_SEPARATOR


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


def _microseconds(text: str) -> int:
    """A stored ISO time as microseconds since 1970 (0 if it is not one), for the time columns."""
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)
    except (TypeError, ValueError):
        return 0
    return (stamp - EPOCH) // MICROSECOND


def _item_texts(items: dict[str, object]):
    """Each item with text, as (name, value, its text)."""
    for name, value in items.items():
        texts = _strings(value)
        if texts:
            yield name, value, "\n".join(texts)[:MAX_ITEM_TEXT]


def item_text(revision) -> str:
    """The items' part of the ``text`` field of ``revision``: what snippets are cut from, with
    the ``attached`` text the index keeps (the items are read from the database instead)."""
    return "\n".join(text for _, _, text in _item_texts(revision.items))


def item_fields(document) -> dict[str, object]:
    """The fields of the current revision of ``document`` (a live one), but for the text of its
    attachments, which ``with_attachment_texts`` adds (the indexer's helper process reads it)."""
    revision = document.current()
    items = revision.items
    if bad_character(revision.items_json) is not None:  # stored by an older version
        items = scrub_json(items)
    parts: list[str] = []
    keywords: list[tuple[str, str]] = []
    sorts: list[bytes] = []
    for name, value, joined in _item_texts(items):
        parts.append(joined)
        if len(joined) <= ITEM_FIELD_CHARS and name.isidentifier():
            prefix = item_key(name)
            keywords.append((prefix, joined))
            key = sort_key(value)
            if key is not None:
                sorts.append(SORT_START + prefix[:-1].encode("utf-8") + SORT_SEPARATOR
                             + key.encode("utf-8").translate(None, SORT_START + SORT_SEPARATOR))
    out: dict[str, object] = {
        "unid": document.unid, "readers": readers_term(document.readers),
        "text": "\n".join(parts), ITEMS: keywords, SORTS: b"".join(sorts),
        "created": _microseconds(document.created), "modified": _microseconds(revision.timestamp)}
    if revision.attachments:
        out["files"] = ",".join(sorted(revision.attachments))
    return out


def with_attachment_texts(fields: dict[str, object], attachment_texts: list[str]) -> dict[str, object]:
    """``item_fields``' fields with the attachments' text added to ``text`` and kept in ``attached``."""
    if not attachment_texts:
        return fields
    attached = "\n".join(attachment_texts)
    items = fields["text"]
    return {**fields, "text": f"{items}\n{attached}" if items else attached, "attached": attached}


def document_fields(document, attachment_texts: list[str]) -> dict[str, object]:
    """The fields of the current revision of ``document`` (a live one)."""
    return with_attachment_texts(item_fields(document), attachment_texts)
