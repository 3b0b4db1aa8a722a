"""Turning what a user typed into a Whoosh query, or a clear 400 saying what is wrong.

The syntax is Whoosh's: words (all required), ``AND``/``OR``/``NOT``,
``"phrases"``, ``Item:word``, ``word*`` and ``wo?d``, ``word~`` (one letter
off) and ``word~2``, parentheses.  Whoosh's parser never refuses anything: an
unclosed quote or parenthesis quietly becomes a different query.  A clerk
who mistyped deserves to be told, so the text is checked first and the
first problem is reported with its position.

Queries are bounded: at most ``MAX_QUERY_CHARS`` characters, and a pattern
(wildcard, prefix, fuzzy, range) may stand for at most ``MAX_EXPANSION``
words of the index, or the query is refused as too broad instead of
making one request walk the whole vocabulary.
"""
from __future__ import annotations

import re

from whoosh import qparser
from whoosh.query import MultiTerm

from core.exceptions import BadRequest

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


def make_parser(schema) -> qparser.QueryParser:
    parser = qparser.QueryParser("text", schema, group=qparser.AndGroup)
    parser.add_plugin(qparser.FuzzyTermPlugin())
    return parser


def parse(parser: qparser.QueryParser, text: str):
    """The Whoosh query for ``text``, or BadRequest saying what is wrong with it."""
    if not text.strip():
        raise BadRequest("parameter 'q' is required: the words to look for")
    if len(text) > MAX_QUERY_CHARS:
        raise BadRequest(f"the query has {len(text)} characters; at most {MAX_QUERY_CHARS} are allowed")
    problem = syntax_problem(text)
    if problem is not None:
        raise BadRequest(f"query syntax: {problem}", query=text)
    return parser.parse(text)


def check_breadth(query, reader) -> None:
    """Refuse a pattern that stands for more than ``MAX_EXPANSION`` words of the index."""
    for part in query.leaves():
        if not isinstance(part, MultiTerm):
            continue
        for count, _ in enumerate(part._btexts(reader), start=1):
            if count > MAX_EXPANSION:
                raise BadRequest(
                    f"the pattern {part.text if hasattr(part, 'text') else part!s} "
                    f"matches more than {MAX_EXPANSION} words; make it more specific")
