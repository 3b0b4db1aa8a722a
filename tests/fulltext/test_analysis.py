"""The words of Russian and English text as the index sees them, and the snippets made from them."""
from __future__ import annotations

from views.fulltext.analysis import make_analyzer, term_of, term_positions
from views.fulltext.snippets import snippet


def _terms(text: str) -> list[tuple[str, int]]:
    return [(token.text, token.pos) for token in make_analyzer()(text, positions=True)]


def test_inflected_forms_meet_in_one_term():
    forms = ("благоустройство", "благоустройства", "благоустройству", "благоустройстве")
    assert len({term_of(form) for form in forms}) == 1
    assert term_of("дворов") == term_of("двора") == term_of("Двор")
    assert term_of("streetlights") == term_of("streetlight")


def test_case_and_yo_are_folded():
    assert term_of("ПОДЪЁЗД") == term_of("подъезд")
    assert term_of("Ёлка") == term_of("елка")


def test_stop_words_leave_a_gap_so_phrases_still_line_up():
    assert _terms("о ремонте кровли") == [(term_of("ремонте"), 1), (term_of("кровли"), 2)]
    assert term_of("по") == term_of("the") == ""


def test_hyphenated_words_give_the_whole_word_and_its_parts():
    terms = _terms("Северо-Западный район")
    assert terms[0] == (term_of("северозападный"), 0)
    assert terms[1:] == [(term_of("северо"), 0), (term_of("западный"), 1), (term_of("район"), 2)]


def test_digits_and_long_tokens():
    assert _terms("дом 5")[-1] == ("5", 1)
    assert len(_terms("x" * 500)[0][0]) == 64


def test_a_snippet_marks_the_matches_and_escapes_the_rest():
    text = "Жалоба <b>жильцов</b> на ремонт кровли & фасада " + "слово " * 60 + "конец"
    html = snippet(text, frozenset({term_of("кровля")}))
    assert "<mark>кровли</mark>" in html and "&lt;b&gt;" in html and "&amp;" in html
    assert html.endswith(" …") and "конец" not in html
    assert snippet("<i>без совпадений</i>", frozenset({"кровл"})) == "&lt;i&gt;без совпадений&lt;/i&gt;"


def test_indexing_finds_the_same_terms_at_the_same_positions_as_the_analyzer():
    for text in ("Обращения граждан о благоустройстве дворов", "Северо-Западный район, дом 5",
                 "e-mail: " + "я" * 80 + " ЁЛКА"):
        expected: dict[str, list[int]] = {}
        for term, position in _terms(text):
            expected.setdefault(term, []).append(position)
        assert term_positions(text) == expected
