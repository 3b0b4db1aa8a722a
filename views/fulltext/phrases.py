"""Phrases: documents whose words stand next to each other, checked by arithmetic on positions.

Whoosh answers ``"ремонт кровли"`` with span objects: for every document
holding both words it builds a span per occurrence and compares them pair
by pair, some hundreds of microseconds a document.  Common words are in
most documents of an archive, so a phrase of two of them took seconds (12 s
at the 95th percentile on 100,000 letters).  Here a document matches when
some position ``p`` holds the first word, ``p + 1`` the second, and so on:
one set of candidate starts per word, intersected — a few microseconds.

The matcher also reports that it cannot skip blocks by their best score, so
the search scores and counts every match in one pass instead of running the
phrase a second time to count the total.
"""
from __future__ import annotations

from whoosh import matching
from whoosh.matching.binary import IntersectionMatcher
from whoosh.query import Phrase, QueryError, Term
from whoosh.query.spans import Span, SpanWrappingMatcher
from whoosh.util import make_binary_tree


class AdjacentPhrase(Phrase):
    """Whoosh's ``Phrase`` of words next to each other (``slop`` 1); wider slops are Whoosh's."""

    def matcher(self, searcher, context=None):
        if self.slop != 1:
            return super().matcher(searcher, context)
        field = searcher.schema[self.fieldname]
        if not field.format or not field.format.supports("positions"):
            raise QueryError(f"Phrase search: {self.fieldname!r} field has no positions")
        reader = searcher.reader()
        words = [field.to_bytes(word) for word in self.words]
        if any((self.fieldname, word) not in reader for word in words):
            return matching.NullMatcher()
        matcher = AdjacentMatcher([Term(self.fieldname, word).matcher(searcher, context)
                                   for word in words])
        return matching.WrappingMatcher(matcher, boost=self.boost) if self.boost != 1.0 else matcher


class AdjacentMatcher(SpanWrappingMatcher):
    """The documents all ``matchers`` (one a word, in order) match, with the words adjacent."""

    def __init__(self, matchers) -> None:
        self.matchers = matchers
        super().__init__(make_binary_tree(IntersectionMatcher, matchers))

    def copy(self):
        return self.__class__([matcher.copy() for matcher in self.matchers])

    def replace(self, minquality=0):
        return self if self.is_active() else matching.NullMatcher()

    def supports_block_quality(self):
        return False

    def _get_spans(self):
        starts: set[int] | None = None
        for offset, matcher in enumerate(self.matchers):
            here = {position - offset for position in matcher.value_as("positions")}
            starts = here if starts is None else starts & here
            if not starts:
                return []
        last = len(self.matchers) - 1
        return [Span(start, start + last) for start in sorted(starts or ())]
