"""Recall and precision of the analyzers on the appeals corpus; the better one is the default.

Both analyzers (Snowball stems, pymorphy3 lemmas) index the same 200
documents in real Whoosh indexes on disk and answer the same queries through
the same query parser the API uses.  Recall is the share of the documents a
query must find that it found; precision the share of what it found that it
had to find.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from whoosh import index as whoosh_index

from tests.fulltext.corpus import QUERIES, TOPICS, documents
from views.fulltext.analysis import ANALYZER_KIND
from views.fulltext.query import make_parser, parse
from views.fulltext.schema import make_schema

MIN_RECALL = 0.95
MIN_PRECISION = 0.95


@dataclass
class Score:
    recall: float
    precision: float
    misses: list[str]


def _measure(folder, how: str) -> Score:
    schema = make_schema(how)
    ix = whoosh_index.create_in(str(folder), schema)
    corpus = documents()
    with ix.writer() as writer:
        for key, _, text in corpus:
            writer.add_document(unid=key, readers="*", text=text)
    topic_of = {key: topic for key, topic, _ in corpus}
    found_wanted = wanted = found = 0
    misses = []
    with ix.searcher() as searcher:
        parser = make_parser(how)
        for text, topics in QUERIES.items():
            hits = {hit["unid"] for hit in searcher.search(parse(parser, text), limit=None)}
            relevant = {key for key, topic in topic_of.items() if topic in topics or key in topics}
            found_wanted += len(hits & relevant)
            wanted += len(relevant)
            found += len(hits)
            misses += [f"{text!r} missed {key}" for key in sorted(relevant - hits)]
            misses += [f"{text!r} wrongly found {key}" for key in sorted(hits - relevant)]
    return Score(found_wanted / wanted, found_wanted / max(found, 1), misses)


@pytest.fixture(scope="module")
def scores(tmp_path_factory) -> dict[str, Score]:
    return {how: _measure(tmp_path_factory.mktemp(how), how) for how in ("stem", "lemma")}


def test_the_corpus_is_big_enough():
    assert sum(len(wordings) for wordings in TOPICS.values()) >= 200
    assert len(QUERIES) >= 40
    assert any(text.isascii() for wordings in TOPICS.values() for text in wordings)


def test_the_default_analyzer_finds_what_it_must(scores):
    chosen = scores[ANALYZER_KIND]
    report = "\n".join(f"{how}: recall {s.recall:.3f}, precision {s.precision:.3f}"
                       for how, s in scores.items())
    print("\n" + report)
    assert chosen.recall >= MIN_RECALL, report + "\n" + "\n".join(chosen.misses)
    assert chosen.precision >= MIN_PRECISION, report + "\n" + "\n".join(chosen.misses)


def test_the_default_analyzer_is_the_better_one(scores):
    """Kept by the recall test: the default finds at least as much, at no worse precision."""
    chosen, other = scores[ANALYZER_KIND], scores["lemma" if ANALYZER_KIND == "stem" else "stem"]
    assert (chosen.recall, chosen.precision) >= (other.recall, other.precision) or (
        chosen.recall >= other.recall and chosen.precision >= other.precision - 0.01)
