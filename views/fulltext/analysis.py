"""How text becomes index terms: Russian and English words, folded, stemmed.

A clerk types "обращение по благоустройству двора" and expects the letter
that says "обращения граждан о благоустройстве дворов": every word form must
meet the same term.  The chain is

1. words: letters and digits, with hyphenated words ("северо-западный",
   "Нижне-Камская", "e-mail") kept whole *and* split, so that both the whole
   word and each part are found;
2. folding: lower case, and ``ё`` written as ``е`` (most typists never type
   ``ё``, a few always do);
3. stop words of both languages are dropped (a query's words are all
   required, and "по", "о", "the" must not decide whether a letter matches);
4. each word goes to its language's Snowball stemmer (Cyrillic words to the
   Russian one, Latin words to the English one), through a cache because a
   city's vocabulary is small and repeats.

Lemmatisation (``pymorphy3``'s dictionary forms) is the alternative to step
4; ``tests/fulltext/test_recall.py`` measures both on the same corpus and
queries, and the better one is ``ANALYZER``.  Analyzers are pickled into each
index's table of contents, so the stemmer objects (which cannot be pickled)
live in module caches, not on the filters.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import Stemmer
from whoosh.analysis import Filter, Token, Tokenizer

WORD = re.compile(r"[^\W_]+(?:[-‐][^\W_]+)*")
HYPHENS = re.compile(r"[-‐]")
CYRILLIC = re.compile(r"[а-я]")
MAX_WORD = 64  # longer "words" (hashes, base64) are noise: cut so they cannot bloat the index
#: The analyzer every index uses: Snowball stems found at least as much as lemmas on
#: the recall corpus (tests/fulltext/test_recall.py), and cost a fraction of the time.
ANALYZER_KIND = "stem"
CACHE_WORDS = 500_000  # word -> index term answers kept per analyzer kind
_NORMAL: dict[str, dict[str, str]] = {"stem": {}, "lemma": {}}

STOP_WORDS = frozenset(" ".join("""
а без бы был была были было быть в вам вас весь во вот все всё всего всех вы где да даже для до его
ее её ей ему если есть еще ещё же за здесь и из или им их к как ко когда кто ли либо между меня мне
мы на над нас не него нее неё нет ни них но ну о об однако он она они оно от по под при с со так
также там то тоже того той только том ты у уже чем что чтобы чье чья эта эти это этот я
a an and are as at be but by for from has have if in into is it its of on or that the their then
there these they this to was were will with
""".splitlines()).split())


def _split(word: str) -> list[str]:
    """The index words of a hyphenated word: the whole word without hyphens, then each part.

    The whole word sits at the position of its first part and the parts follow one position
    each, so a phrase query with or without the hyphen still lines up.
    """
    parts = HYPHENS.split(word)
    return ["".join(parts), *parts]


def words(text: str) -> Iterator[tuple[str, int, int, int]]:
    """Each word of ``text`` as (word, start, end, position), hyphenated words ``_split``, words
    cut to ``MAX_WORD`` characters."""
    pos = 0
    for match in WORD.finditer(text):
        word, start = match.group(0), match.start()
        if "-" not in word and "‐" not in word:  # the common case, kept short
            yield word[:MAX_WORD], start, match.end(), pos
            pos += 1
            continue
        whole, *parts = _split(word)
        yield whole[:MAX_WORD], start, match.end(), pos
        for number, part in enumerate(parts):
            yield part[:MAX_WORD], start, start + len(part), pos + number
            start += len(part) + 1
        pos += len(parts)


def term_positions(text: str, how: str = ANALYZER_KIND) -> dict[str, list[int]]:
    """Each index term of ``text`` with its word positions, as the analyzer gives them: what
    indexing needs, without the Token objects of Whoosh's analyzer chain, which cost several
    times the work itself."""
    known = _NORMAL[how]
    out: dict[str, list[int]] = {}
    pos = 0
    for word in WORD.findall(text):
        if "-" in word or "‐" in word:
            whole, *parts = _split(word)
            for at, piece in ((pos, whole), *enumerate(parts, start=pos)):
                term = term_of(piece[:MAX_WORD], how)
                if term:
                    out.setdefault(term, []).append(at)
            pos += len(parts)
            continue
        term = known.get(word)  # the common case, kept short: one word, one position
        if term is None:
            term = term_of(word[:MAX_WORD], how)
        if term:
            found = out.get(term)
            if found is None:
                out[term] = [pos]
            else:
                found.append(pos)
        pos += 1
    return out


class Words(Tokenizer):
    """Whoosh's tokenizer over ``words``: query text and the lemma analyzer go through it."""

    def __eq__(self, other):
        return self.__class__ is other.__class__

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pieces = words(value) if tokenize else ((value, 0, len(value), 0),)
        for text, start, end, pos in pieces:
            token.text = text
            token.boost, token.stopped = 1.0, False
            if keeporiginal:
                token.original = text
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            yield token


class Normalise(Filter):
    """Fold, drop stop words and reduce each word to its stem (``how="stem"``) or dictionary form
    (``how="lemma"``), through one cache of whole answers: a city's vocabulary is small and
    repeats, so most tokens cost one dictionary lookup.
    """

    def __init__(self, how: str = "stem") -> None:
        self.how = how

    def __eq__(self, other):
        return self.__class__ is other.__class__ and self.how == other.how

    def __call__(self, tokens):
        how = self.how
        for token in tokens:
            word = token.text
            answer = term_of(word, how)
            if answer:
                token.text = answer
                yield token
            elif not token.removestops:
                token.text, token.stopped = word.lower(), True
                yield token


def term_of(word: str, how: str = ANALYZER_KIND) -> str:
    """The index term of one word as the tokenizer cuts it ("" for a stop word); cached."""
    known = _NORMAL[how]
    answer = known.get(word)
    if answer is None:
        folded = HYPHENS.sub("", word.lower().replace("ё", "е"))
        answer = "" if folded in STOP_WORDS else (stem if how == "stem" else lemma)(folded)
        if len(known) < CACHE_WORDS:
            known[word] = answer
    return answer


@lru_cache(maxsize=2)
def _stemmer(language: str):
    return Stemmer.Stemmer(language, 100_000)  # the C stemmer keeps its own cache of words


def stem(word: str) -> str:
    """The Snowball stem of a Russian or English word (other scripts pass through)."""
    if CYRILLIC.search(word):
        return _stemmer("russian").stemWord(word)
    if word.isascii() and not word.isdigit():
        return _stemmer("english").stemWord(word)
    return word


@lru_cache(maxsize=1)
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """The dictionary form of a Russian word (most probable parse); English words are stemmed."""
    if CYRILLIC.search(word):
        return _morph().parse(word)[0].normal_form.replace("ё", "е")
    return stem(word)


def make_analyzer(how: str = "stem"):
    """The whole chain; ``how`` is "stem" (Snowball) or "lemma" (pymorphy3)."""
    return Words() | Normalise(how)

