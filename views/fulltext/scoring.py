"""Relevance that depends on the document alone, so that a score says nothing of hidden documents.

Whoosh's default, BM25F, weighs a word by how many documents of the whole
index hold it (its idf) and a document's length against the index's average:
both count documents the caller may not see, so comparing scores tells a
Reader how many hidden documents hold a word (a phone number, a name).
``OwnDocument`` keeps BM25's shape for what is the document's own — how often
the word occurs in it, saturating, and the text's length — against a fixed
typical length instead of the index's average, and gives every word the same
weight.  Queries are all-words by default, so the weight of rare words
matters little to which documents are found; the order among them stays
"more of the words, in a shorter text, first".
"""
from __future__ import annotations

from whoosh import scoring

TYPICAL_LENGTH = 300.0  # words of a typical document's text: the length that is neither long nor short
B, K1 = 0.75, 1.2  # BM25's usual length normalisation and saturation


class OwnDocument(scoring.WeightingModel):
    """BM25 without collection statistics: no idf, a fixed typical length."""

    def supports_block_quality(self) -> bool:
        return True

    def scorer(self, searcher, fieldname, text, qf=1):
        if not searcher.schema[fieldname].scorable:  # keywords, ids: present or not
            return scoring.WeightScorer.for_(searcher, fieldname, text)
        return _OwnDocumentScorer(searcher, fieldname, text)


class _OwnDocumentScorer(scoring.WeightLengthScorer):
    def __init__(self, searcher, fieldname, text) -> None:
        self.setup(searcher, fieldname, text)

    def _score(self, weight, length):
        return scoring.bm25(1.0, weight, length, TYPICAL_LENGTH, B, K1)
