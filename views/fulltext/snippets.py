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

WORDS_AROUND = 12  # words shown before the first match and after the last one shown
MAX_WORDS = 40
FALLBACK_CHARS = 160


def query_terms(query, reader) -> frozenset[str]:
    """The index terms a query matched on, in any field (patterns expanded; they are bounded)."""
    terms = set()
    for _, text in query.existing_terms(reader, phrases=True, expand=True):
        terms.add(text.decode("utf-8") if isinstance(text, bytes) else str(text))
    return frozenset(terms)


def snippet(text: str, terms: frozenset[str]) -> str:
    """HTML: the words around the first matches with each match in ``<mark>``, or the text's start."""
    words: list = []
    hits: list[int] = []
    for number, match in enumerate(WORD.finditer(text)):  # read no further than the snippet needs
        words.append(match)
        if term_of(match.group(0)) in terms:
            hits.append(number)
        if hits and number >= hits[0] + MAX_WORDS:
            break
    if not hits:
        return escape(text[:FALLBACK_CHARS])
    first = max(0, hits[0] - WORDS_AROUND)
    last = min(len(words), first + MAX_WORDS)
    marked = set(hits)
    out = ["… " if first else ""]
    position = words[first].start()
    for number in range(first, last):
        match = words[number]
        out.append(escape(text[position:match.start()]))
        word = escape(match.group(0))
        out.append(f"<mark>{word}</mark>" if number in marked else word)
        position = match.end()
    rest = text[position:]
    out.append(" …" if WORD.search(rest) else escape(rest))
    return "".join(out)
