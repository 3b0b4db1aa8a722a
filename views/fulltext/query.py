"""Turning what a user typed into a Whoosh query, or a clear 400 saying what is wrong.

The syntax is Whoosh's: words (all required), ``AND``/``OR``/``NOT``,
``"phrases"``, ``Item:word``, ``word*`` and ``wo?d``, ``word~`` (one letter
off) and ``word~2``, parentheses.  Whoosh's parser never refuses anything:
an unclosed quote or parenthesis quietly becomes a different query.  A
clerk who mistyped deserves to be told, so the text is checked first and
the first problem is reported with its position.

Items are not fields of the index (``views.fulltext.schema``):
``Subject:кровли`` is parsed as if they were, then rewritten to the
``items`` term ``subject:кровл``.

Queries are bounded: at most ``MAX_QUERY_CHARS`` characters, and a pattern
(wildcard, prefix, fuzzy, range) may stand for at most ``MAX_EXPANSION``
words of the index, or the query is refused as too broad instead of
making one request walk the whole vocabulary.  The whole query is bounded
too (``Bounds``, from the settings): how many patterns it holds, how many
words they stand for together, and how long finding its hits may take
(``views.fulltext.search``).
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import cache

from whoosh import fields, qparser
from whoosh.query import Every, FuzzyTerm, MultiTerm, Phrase, Prefix, TermRange

from core.exceptions import BadRequest
from views.fulltext.analysis import ANALYZER_KIND, make_analyzer
from views.fulltext.phrases import AdjacentPhrase
from views.fulltext.schema import ITEMS, item_key, make_schema

SEARCHED_FIELDS = ("text", "unid", "readers", "files")  # any other name is an item's
MAX_QUERY_CHARS = 1000
MAX_EXPANSION = 1000
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
_BINARY = _OPERATORS - {"NOT"}
_PIECE = re.compile(r'"[^"]*"|[()]|[^\s()"]+')
_PAIRS = {"(": ")", "[": "]", "{": "}"}


def syntax_problem(text: str) -> str | None:
    """The first mistake in ``text`` (with its 1-based position), or None."""
    quote = text.count('"')
    if quote % 2:
        return f'the quote at position {text.rfind(chr(34)) + 1} is never closed'
    depth: list[tuple[str, int]] = []
    inside_quotes = False
    for position, char in enumerate(text, start=1):
        if char == '"':
            inside_quotes = not inside_quotes
        if inside_quotes:
            continue
        if char in _PAIRS:
            depth.append((char, position))
        elif char in _PAIRS.values():
            if not depth or _PAIRS[depth[-1][0]] != char and not (
                    depth[-1][0] in "[{" and char in "]}"):
                return f"{char!r} at position {position} closes nothing"
            depth.pop()
    if depth:
        char, position = depth[-1]
        return f"{char!r} at position {position} is never closed"
    pieces = [(match.group(0), match.start() + 1) for match in _PIECE.finditer(text)]
    previous = None
    for number, (piece, position) in enumerate(pieces):
        if piece in _BINARY and (previous is None or previous in _OPERATORS or previous == "("):
            return f"{piece} at position {position} has nothing before it"
        if piece in _OPERATORS and (number == len(pieces) - 1 or pieces[number + 1][0] in _BINARY
                                    or pieces[number + 1][0] == ")"):
            return f"{piece} at position {position} has nothing after it"
        if piece.endswith(":") and piece[:-1].isidentifier() and (
                number == len(pieces) - 1 or pieces[number + 1][0] == ")"):
            return f"{piece} at position {position} names an item but no word to look for"
        previous = piece
    return None


@cache
def _query_schema(how: str) -> fields.Schema:
    """The index's searched fields, and any other name as an item, analysed like ``text``."""
    index = make_schema(how)
    schema = fields.Schema(**{name: index[name] for name in SEARCHED_FIELDS})
    schema.add("*", fields.TEXT(analyzer=make_analyzer(how), phrase=False), glob=True)
    return schema


def make_parser(how: str = ANALYZER_KIND) -> qparser.QueryParser:
    """The parser of queries for an index whose text is analysed by ``how`` (stem or lemma)."""
    parser = qparser.QueryParser("text", _query_schema(how), group=qparser.AndGroup)
    parser.add_plugin(qparser.FuzzyTermPlugin())
    return parser


def _rewrite(query):
    """``query`` with each part that names an item turned into the same part over ``items``
    terms (``Subject:кровл`` → ``items:subject:кровл``), and phrases made ``AdjacentPhrase``."""
    if not query.is_leaf():
        return query.apply(_rewrite)
    name = getattr(query, "fieldname", None)
    if isinstance(query, Phrase) and name == "text":
        return AdjacentPhrase(name, query.words, query.slop, query.boost, query.char_ranges)
    if name is None or name in SEARCHED_FIELDS:
        return query
    prefix = item_key(name)
    if isinstance(query, Phrase):
        raise BadRequest(f"a phrase in the item {name}: phrases are searched in the whole text; "
                         "search an item word by word, as Item:(word word)")
    if isinstance(query, Every):  # Item:*
        return Prefix(ITEMS, prefix, boost=query.boost)
    if isinstance(query, TermRange):
        return TermRange(ITEMS, prefix + (query.start or ""), prefix + (query.end or "\uffff"),
                         query.startexcl, query.endexcl, query.boost)
    rewritten = copy.copy(query)
    rewritten.fieldname, rewritten.text = ITEMS, prefix + query.text
    if isinstance(query, FuzzyTerm):  # the letters that may differ are the word's, not the name's
        rewritten.prefixlength += len(prefix)
    return rewritten


def parse(parser: qparser.QueryParser, text: str):
    """The Whoosh query for ``text``, or BadRequest saying what is wrong with it."""
    if not text.strip():
        raise BadRequest("parameter 'q' is required: the words to look for")
    if len(text) > MAX_QUERY_CHARS:
        raise BadRequest(f"the query has {len(text)} characters; at most {MAX_QUERY_CHARS} are allowed")
    problem = syntax_problem(text)
    if problem is not None:
        raise BadRequest(f"query syntax: {problem}", query=text)
    return _rewrite(parser.parse(text))


@dataclass(frozen=True)
class Bounds:
    """What one query may cost: patterns in it, index words they stand for together, seconds."""

    patterns: int
    expansion: int
    seconds: float


def bounds_of(settings) -> Bounds:
    return Bounds(settings["domus.search_max_patterns"], settings["domus.search_max_expansion"],
                  settings["domus.search_max_seconds"])


def _pattern_text(part) -> str:
    return part.text if hasattr(part, "text") else str(part)


def check_breadth(query, reader, bounds: Bounds) -> None:
    """Refuse a query whose patterns are too many or stand for too many words of the index:
    each may stand for ``MAX_EXPANSION`` words, all of them together for ``bounds.expansion``.
    Each pattern walks the index's vocabulary, so their number is bounded too."""
    patterns = [part for part in query.leaves() if isinstance(part, MultiTerm)]
    if len(patterns) > bounds.patterns:
        raise BadRequest(f"the query has {len(patterns)} patterns (wildcards, prefixes, fuzzy words, "
                         f"ranges); at most {bounds.patterns} are allowed")
    total = 0
    for part in patterns:
        for count, _ in enumerate(part._btexts(reader), start=1):
            if count > MAX_EXPANSION:
                raise BadRequest(f"the pattern {_pattern_text(part)} matches more than "
                                 f"{MAX_EXPANSION} words; make it more specific")
            total += 1
            if total > bounds.expansion:
                raise BadRequest(f"the patterns of the query match more than {bounds.expansion} "
                                 "words together; make them more specific or use fewer")
