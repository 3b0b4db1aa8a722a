"""The @functions: one table of names, arities and implementations.

Names are case-insensitive (``@contains`` is ``@Contains``).  The compiler
checks every call against the table, so an unknown @function or a wrong
number of arguments is the designer's error at save time, never a surprise
per document.  Most functions receive their arguments' values; a few are
special: ``@If`` and ``@Select`` receive their arguments unevaluated (only
the branch taken runs), ``@IsAvailable`` receives an item name, ``@Name`` a
bracketed keyword first.  Time-dates live in ``views.formula.dates``.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from views.formula import dates
from views.formula.errors import EvaluationError
from views.formula.runtime import TEXT_PER_STEP, Run, compared, text_chars
from views.formula.values import (
    NUMBER,
    TEXT,
    Values,
    comparable,
    from_text,
    kind,
    number,
    same,
    to_text,
    truth,
)

VALUES, LAZY, ITEM, KEYWORD = "values", "lazy", "item", "keyword"


@dataclass(frozen=True)
class Function:
    name: str
    impl: Callable
    #: The numbers of arguments allowed; when empty, ``at_least`` (and ``odd``) say it.
    arity: tuple[int, ...] = ()
    at_least: int = 0
    odd: bool = False
    how: str = VALUES
    uses_time: bool = False
    keywords: tuple[str, ...] = ()

    def arity_problem(self, given: int) -> str | None:
        """Why ``given`` arguments will not do, or None."""
        if self.arity:
            if given in self.arity:
                return None
            plural = "s" if self.arity[-1] != 1 else ""
            wanted = "no arguments" if self.arity == (0,) else \
                f"{' or '.join(map(str, self.arity))} argument{plural}"
        elif given >= self.at_least and (given % 2 or not self.odd):
            return None
        elif self.odd:
            wanted = f"an odd number of arguments ({self.at_least} or more)"
        else:
            wanted = f"at least {self.at_least} argument{'s' if self.at_least != 1 else ''}"
        return f"{self.name} takes {wanted}, got {given}"


def texts(values: Values, name: str) -> list[str]:
    """``values`` if all are text, else the error a designer will understand."""
    for value in values:
        if type(value) is not str:
            raise EvaluationError(f"{name} needs text, not {kind(value)}")
    return values


def numbers(values: Values, name: str) -> Values:
    for value in values:
        if type(value) is not int and type(value) is not float:
            raise EvaluationError(f"{name} needs a number, not {kind(value)}")
    return values


def first(values: Values, name: str) -> object:
    if not values:
        raise EvaluationError(f"{name} got an empty value")
    return values[0]


# -- text ---------------------------------------------------------------------------------------------------

def _searched(strings: list[str], parts: list[str]) -> int:
    """Characters read when each of ``parts`` is looked for in each of ``strings``."""
    return text_chars(strings) * len(parts) + text_chars(parts) * len(strings)


def _matcher(name: str, test: Callable[[str, str], bool], searches: bool) -> Callable:
    """``@Contains`` (a search of each text) or ``@Begins``/``@Ends`` (a comparison of its ends)."""
    def match(run: Run, text: Values, part: Values) -> Values:
        strings, parts = texts(text, name), texts(part, name)
        run.spend(len(strings) * len(parts))
        if searches:
            run.search(_searched(strings, parts))
        else:
            run.spend(compared(strings, parts) // TEXT_PER_STEP)
        return [1 if any(test(string, p) for string in strings for p in parts) else 0]
    return match


def _lower(run: Run, text: Values) -> Values:
    return run.texts(s.lower() for s in texts(text, "@Lower"))


def _upper(run: Run, text: Values) -> Values:
    return run.texts(s.upper() for s in texts(text, "@Upper"))


def _trim(run: Run, text: Values) -> Values:
    strings = texts(text, "@Trim")
    run.read(strings)
    return run.texts(" ".join(words) for s in strings if (words := s.split()))


def _cut(name: str, by_count: Callable[[str, int], str], by_text: Callable[[str, str], str]) -> Callable:
    def cut(run: Run, text: Values, where: Values) -> Values:
        strings, how = texts(text, name), first(where, name)
        if type(how) is str:
            run.search(_searched(strings, [how]))
            return run.texts(by_text(s, how) for s in strings)
        if kind(how) is NUMBER:
            return run.texts(by_count(s, max(int(how), 0)) for s in strings)
        raise EvaluationError(f"{name} needs a number or a text to cut at, not {kind(how)}")
    return cut


def _before(text: str, part: str) -> str:
    head, found, _ = text.partition(part)
    return head if found else ""


def _after(text: str, part: str) -> str:
    _, found, tail = text.partition(part)
    return tail if found else ""


def _length(run: Run, text: Values) -> Values:
    return run.values([len(s) for s in texts(text, "@Length")])


def _text(run: Run, values: Values) -> Values:
    return run.texts(to_text(value) for value in values)


_NUMERAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _text_to_number(run: Run, values: Values) -> Values:
    run.read(values)
    out = []
    for value in values:
        if type(value) is str:
            numeral = value.strip().replace(",", ".")
            if not _NUMERAL.fullmatch(numeral):
                raise EvaluationError(f"@TextToNumber: {value[:40]!r} is not a number")
            value = number(float(numeral))
        elif kind(value) is not NUMBER:
            raise EvaluationError(f"@TextToNumber needs text, not {kind(value)}")
        out.append(value)
    return run.values(out)


def _name(run: Run, names: Values) -> Values:
    return run.values(list(texts(names, "@Name")))


# -- lists --------------------------------------------------------------------------------------------------

def _elements(run: Run, values: Values) -> Values:
    return [0 if values == [""] else len(values)]


def _sum(run: Run, *lists: Values) -> Values:
    run.spend(sum(map(len, lists)))
    return [number(sum(value for values in lists for value in numbers(values, "@Sum")))]


def _extreme(name: str, better: Callable[[object, object], bool]) -> Callable:
    def extreme(run: Run, *lists: Values) -> Values:
        run.spend(sum(map(len, lists)))
        best = None
        for values in lists:
            for value in values:
                if best is None or better(*comparable(value, best)):
                    best = value
        if best is None or kind(best) is TEXT:
            raise EvaluationError(f"{name} needs numbers or time-dates")
        return [best]
    return extreme


def _unique(run: Run, values: Values) -> Values:
    run.read(values)
    return run.values(list(dict.fromkeys(values)))


def _implode(run: Run, values: Values, separator: Values = (" ",)) -> Values:
    strings, joint = texts(values, "@Implode"), texts(separator, "@Implode")
    joint_text = joint[0] if joint else ""
    run.text_size(sum(map(len, strings)) + len(joint_text) * max(len(strings) - 1, 0))
    return [joint_text.join(strings)]


def _explode(run: Run, text: Values, separators: Values = (" ,;\n",)) -> Values:
    strings, chars = texts(text, "@Explode"), "".join(texts(separators, "@Explode"))
    run.search(text_chars(strings) + len(chars))
    if not chars:
        return run.texts(s for s in strings if s)
    piece = re.compile("[^" + "".join(map(re.escape, chars)) + "]+")
    return run.texts(match.group() for s in strings for match in piece.finditer(s))


def _member(run: Run, value: Values, values: Values) -> Values:
    wanted = first(value, "@Member")
    run.read(values)
    return [next((index for index, v in enumerate(values, 1) if same(wanted, v)), 0)]


# -- control and document -----------------------------------------------------------------------------------

def _if(run: Run, codes: list) -> Values:
    last = len(codes) - 1
    for index in range(0, last, 2):
        if truth(codes[index](run)):
            return codes[index + 1](run)
    return codes[last](run)


def _select(run: Run, codes: list) -> Values:
    which = first(numbers(codes[0](run), "@Select"), "@Select")
    if which < 1:
        raise EvaluationError("@Select needs a position of 1 or more")
    return codes[min(int(which), len(codes) - 1)](run)


def _constant(value: object) -> Callable[[Run], Values]:
    def constant(run: Run) -> Values:
        return [value]
    return constant


def _environment(field: str, read: Callable = str) -> Callable[[Run], Values]:
    def environment(run: Run) -> Values:
        return [read(getattr(run.env, field) or "")]
    return environment


FUNCTIONS: dict[str, Function] = {f.name.lower(): f for f in (
    Function("@Contains", _matcher("@Contains", lambda s, p: p in s, searches=True), (2,)),
    Function("@Begins", _matcher("@Begins", str.startswith, searches=False), (2,)),
    Function("@Ends", _matcher("@Ends", str.endswith, searches=False), (2,)),
    Function("@Lower", _lower, (1,)),
    Function("@LowerCase", _lower, (1,)),
    Function("@Upper", _upper, (1,)),
    Function("@UpperCase", _upper, (1,)),
    Function("@Trim", _trim, (1,)),
    Function("@Left", _cut("@Left", lambda s, n: s[:n], _before), (2,)),
    Function("@Right", _cut("@Right", lambda s, n: s[max(len(s) - n, 0):] if n else "", _after), (2,)),
    Function("@Length", _length, (1,)),
    Function("@Text", _text, (1,)),
    Function("@TextToNumber", _text_to_number, (1,)),
    Function("@Name", _name, (2,), how=KEYWORD, keywords=("[cn]", "[abbreviate]", "[canonicalize]")),
    Function("@Elements", _elements, (1,)),
    Function("@Sum", _sum, at_least=1),
    Function("@Min", _extreme("@Min", lambda a, b: a < b), at_least=1),
    Function("@Max", _extreme("@Max", lambda a, b: a > b), at_least=1),
    Function("@Unique", _unique, (1,)),
    Function("@Implode", _implode, (1, 2)),
    Function("@Explode", _explode, (1, 2)),
    Function("@Member", _member, (2,)),
    Function("@If", _if, at_least=3, odd=True, how=LAZY),
    Function("@Select", _select, at_least=2, how=LAZY),
    Function("@IsAvailable", lambda run, name: [1 if run.has_item(name) else 0], (1,), how=ITEM),
    Function("@IsResponseDoc", lambda run: [1 if run.env.parent_unid else 0], (0,)),
    Function("@True", _constant(1), (0,)),
    Function("@False", _constant(0), (0,)),
    Function("@All", _constant(1), (0,)),
    Function("@UserName", _environment("user_name"), (0,)),
    Function("@DocumentUniqueID", _environment("unid"), (0,)),
    Function("@Created", _environment("created", from_text), (0,)),
    Function("@Modified", _environment("modified", from_text), (0,)),
    Function("@Today", lambda run: [run.now().date()], (0,), uses_time=True),
    Function("@Now", lambda run: [run.now()], (0,), uses_time=True),
    Function("@Adjust", dates.adjust, (7,)),
    Function("@Year", dates.part("@Year", "year"), (1,)),
    Function("@Month", dates.part("@Month", "month"), (1,)),
    Function("@Day", dates.part("@Day", "day"), (1,)),
    Function("@Date", dates.make_date, (1, 3)),
)}
