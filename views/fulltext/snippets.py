"""Snippets: a short piece of a hit's text around its first matches, the matched words marked.

Whoosh's highlighter runs the full analyzer chain over the whole stored text
of every hit, which costs more than the search itself.  Here the text is
split with the analyzer's own word pattern and each word is looked up in the
analyzer's cache of terms, so a page of twenty snippets costs a few
milliseconds.  Everything but the ``<mark>`` tags is HTML-escaped: items may
hold HTML, and snippets are shown in pages.
"""
from __future__ import annotations

from html import escape

from views.fulltext.analysis import WORD, term_of
from views.fulltext.schema import ITEM_SEPARATOR, ITEMS

WORDS_AROUND = 12  # words shown before the first match and after the last one shown
MAX_WORDS = 40
FALLBACK_CHARS = 160


def query_terms(query, reader) -> frozenset[str]:
    """The index terms a query matched on, in any field (patterns expanded; they are bounded);
    an item's term without its item name (``subject:кровл`` marks ``кровли``)."""
    terms = set()
    for field, text in query.existing_terms(reader, phrases=True, expand=True):
        term = text.decode("utf-8") if isinstance(text, bytes) else str(text)
        terms.add(term.partition(ITEM_SEPARATOR)[2] if field == ITEMS else term)
    return frozenset(terms)


def snippet(text: str, terms: frozenset[str]) -> str:
    """HTML: the words around the first matches with each match in ``<mark>``, or the text's start.

    Words are read no further than the snippet shows, and the text between marks is escaped a
    span at a time: this runs for every row of every page.
    """
    spans: list[tuple[int, int]] = []
    hits: list[int] = []
    last = MAX_WORDS
    for number, match in enumerate(WORD.finditer(text)):
        spans.append(match.span())
        if term_of(match.group(0)) in terms:
            if not hits:
                last = max(0, number - WORDS_AROUND) + MAX_WORDS
            hits.append(number)
        if hits and number + 1 >= last:
            break
    if not hits:
        return escape(text[:FALLBACK_CHARS])
    first = max(0, hits[0] - WORDS_AROUND)
    last = min(len(spans), last)
    out = ["… " if first else ""]
    position = spans[first][0]
    for number in hits:
        if number >= last:
            break
        start, end = spans[number]
        out += (escape(text[position:start]), "<mark>", escape(text[start:end]), "</mark>")
        position = end
    end = max(position, spans[last - 1][1])
    out.append(escape(text[position:end]))
    rest = text[end:]
    out.append(" …" if WORD.search(rest) else escape(rest))
    return "".join(out)
