"""The binary operators on lists, with Domino's rules.

Arithmetic, ``+`` on text and the comparisons work *pair-wise*: the first
value of the left list with the first of the right, and so on; the shorter
list is padded by repeating its last value, so ``Readers = "ivanova"``
compares every reader with the one name.  A comparison is true when any pair
satisfies it: ``"A":"B":"C" = "B":"C"`` is true (the pair C = C), ``"a":"b" =
"b":"c"`` is false (no pair is equal), and ``!=`` is true when any pair
differs, so for lists ``a = b`` and ``a != b`` may both be true.  The
*permuted* comparisons (``*=``, ``*!=``, ``*<`` …) compare every value with
every value instead.  An empty list counts as one empty text.
"""
from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from itertools import chain, repeat

from views.formula.errors import EvaluationError
from views.formula.runtime import EMPTY, MAX_TEXT, TEXT_PER_STEP, Run, compared, text_chars, too_long
from views.formula.values import Value, Values, comparable, kind, number

Apply = Callable[[Run, Values, Values], Values]

_ORDER: dict[str, Callable[[Value, Value], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<>": operator.ne,
    "<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge,
}
_VERBS = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}


def pairs(left: Values, right: Values) -> Iterator[tuple[Value, Value]]:
    """Domino's pair-wise walk: the shorter list repeats its last value."""
    left, right = left or EMPTY, right or EMPTY
    if len(left) < len(right):
        left = chain(left, repeat(left[-1], len(right) - len(left)))
    elif len(right) < len(left):
        right = chain(right, repeat(right[-1], len(left) - len(right)))
    return zip(left, right, strict=True)


def _padded_chars(values: Values, count: int) -> int:
    """Characters of text in ``values`` padded to ``count`` by repeating its last value."""
    last = values[-1]
    return text_chars(values) + (count - len(values)) * (len(last) if type(last) is str else 0)


def _paired(left: Values, right: Values) -> int:
    """At most the characters read when ``left`` and ``right`` are compared pair-wise."""
    left, right = left or EMPTY, right or EMPTY
    count = max(len(left), len(right))
    return min(_padded_chars(left, count), _padded_chars(right, count))


def _holds(compare: Callable[[Value, Value], bool], a: Value, b: Value) -> bool:
    if type(a) is str and type(b) is str:
        return compare(a, b)
    return compare(*comparable(a, b))


def comparison(symbol: str) -> Apply:
    """One comparison operator, pair-wise or (``*…``) permuted: ``[1]`` or ``[0]``."""
    compare = _ORDER[symbol.lstrip("*")]
    if symbol.startswith("*"):
        def permuted(run: Run, left: Values, right: Values) -> Values:
            left, right = left or EMPTY, right or EMPTY
            run.spend(len(left) * len(right) + compared(left, right) // TEXT_PER_STEP)
            return [1] if any(_holds(compare, a, b) for a in left for b in right) else [0]
        return permuted

    def pairwise(run: Run, left: Values, right: Values) -> Values:
        if len(right) == 1:  # the usual case: Form = "Memo", Readers = "ivanova"
            b = right[0]
            if len(left) == 1:
                a = left[0]
                if type(a) is str and type(b) is str:
                    if len(a) >= TEXT_PER_STEP and len(b) >= TEXT_PER_STEP:
                        run.spend(min(len(a), len(b)) // TEXT_PER_STEP)
                    return [1] if compare(a, b) else [0]
                return [1] if compare(*comparable(a, b)) else [0]
            run.spend(len(left) + compared(left, right) // TEXT_PER_STEP)
            return [1] if any(_holds(compare, a, b) for a in left or EMPTY) else [0]
        run.spend(max(len(left), len(right)) + _paired(left, right) // TEXT_PER_STEP)
        return [1] if any(_holds(compare, a, b) for a, b in pairs(left, right)) else [0]
    return pairwise


def _mismatch(symbol: str, a: Value, b: Value) -> EvaluationError:
    return EvaluationError(f"cannot {_VERBS[symbol]} {kind(a)} and {kind(b)}")


def _plus(a: Value, b: Value) -> Value:
    if type(a) is str and type(b) is str:
        return a + b
    if type(a) in (int, float) and type(b) in (int, float):
        return number(a + b)
    raise _mismatch("+", a, b)


def _numbers(symbol: str, apply: Callable[[float, float], float]) -> Callable[[Value, Value], Value]:
    def numeric(a: Value, b: Value) -> Value:
        if type(a) in (int, float) and type(b) in (int, float):
            return number(apply(a, b))
        raise _mismatch(symbol, a, b)
    return numeric


def _divide(a: float, b: float) -> float:
    if b == 0:
        raise EvaluationError("division by zero")
    return a / b


_ARITHMETIC: dict[str, Callable[[Value, Value], Value]] = {
    "+": _plus,
    "-": _numbers("-", operator.sub),
    "*": _numbers("*", operator.mul),
    "/": _numbers("/", _divide),
}


def arithmetic(symbol: str) -> Apply:
    """The pair-wise operation for ``+ - * /``; ``+`` also joins texts."""
    apply = _ARITHMETIC[symbol]

    def pairwise(run: Run, left: Values, right: Values) -> Values:
        if len(left) == 1 and len(right) == 1:
            result = apply(left[0], right[0])
            if type(result) is str:
                run.text_size(len(result))
            return [result]
        count = max(len(left), len(right), 1)
        run.count(count)
        run.spend(count)
        out: Values = []
        size = 0
        for a, b in pairs(left, right):
            result = apply(a, b)
            if type(result) is str:
                size += len(result)
                if size > MAX_TEXT:  # stop before a list of huge texts is built
                    raise too_long()
            out.append(result)
        run.text_size(size)
        return out
    return pairwise
