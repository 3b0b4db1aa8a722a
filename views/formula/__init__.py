"""A small, safe formula language in the manner of Lotus Notes' @formulas.

Views select documents and compute their columns with formulas such as
``Form = "Incoming" & Dept = "Управление ЖКХ"``; forms compute and validate
items with them.  A formula is parsed and compiled once (``compile_formula``
keeps the last few thousand by source text) and then evaluated per document
against an ``Environment``.  The language has no way to reach Python: no
attribute access, no calls but the @functions it knows, and every evaluation
runs within a budget.  ``docs/formulas.md`` is the designer's guide.
"""
from __future__ import annotations

import functools

from views.formula.compiler import compile_program
from views.formula.errors import EvaluationError, FormulaError
from views.formula.runtime import Environment, Run
from views.formula.syntax import parse
from views.formula.values import Values

__all__ = ["Environment", "EvaluationError", "Formula", "FormulaError", "compile_formula"]


class Formula:
    """A compiled formula: its source, what it reads, and how to evaluate it for a document."""

    __slots__ = ("source", "items_used", "uses_time", "_code")

    def __init__(self, source: str) -> None:
        compiled = compile_program(parse(source))
        self.source = source
        #: Item names the formula reads, as spelled in it (for checking a view's columns).
        self.items_used = compiled.items_used
        #: True when it reads @Now or @Today, so that views re-evaluate it as time passes.
        self.uses_time = compiled.uses_time
        self._code = compiled.code

    def evaluate(self, env: Environment) -> Values:
        """The formula's value for one document: always a list. Raises EvaluationError."""
        return self._code(Run(env))

    def test(self, env: Environment) -> bool:
        """For selection formulas: is the first value a number other than 0? Raises EvaluationError."""
        values = self._code(Run(env))
        if not values:
            return False
        first = values[0]
        return (type(first) is int or type(first) is float) and first != 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Formula) and other.source == self.source

    def __hash__(self) -> int:
        return hash(self.source)

    def __reduce__(self) -> tuple:
        """Pickled (e.g. inside a persistent view) as its source, compiled again on load."""
        return compile_formula, (self.source,)

    def __repr__(self) -> str:
        return f"<Formula {self.source[:60]!r}>"


@functools.lru_cache(maxsize=4096)
def _compile(source: str) -> Formula:
    return Formula(source)


def compile_formula(source: str) -> Formula:
    """The compiled formula for ``source`` (cached), or FormulaError saying what is wrong and where."""
    if not isinstance(source, str):
        raise FormulaError(f"a formula is text, not {type(source).__name__}")
    return _compile(source)
