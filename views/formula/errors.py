"""The two errors of the formula language: one for the designer, one for a document.

A ``FormulaError`` means the formula itself is wrong (bad syntax, an unknown
@function, a wrong number of arguments, too long or too deep).  The designer
must fix it, so it is a ``DomusError`` (422, kept with the others in
``core.exceptions``) whose message and details name the place.  An
``EvaluationError`` means one document could not be evaluated (text where a
number was needed, a budget exceeded): the view leaves that document out and
logs why, so it is a plain exception that no client sees by itself.
"""
from __future__ import annotations

from core.exceptions import FormulaError

__all__ = ["EvaluationError", "FormulaError", "formula_error", "position_of"]


class EvaluationError(Exception):
    """One evaluation failed: a type mismatch at run time, or a budget exceeded."""


def position_of(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - text.rfind("\n", 0, offset)


def formula_error(problem: str, line: int, column: int) -> FormulaError:
    """``problem`` at a 1-based place, said in the message and kept in the details."""
    return FormulaError(f"{problem} at line {line}, column {column}",
                        position={"line": line, "column": column})
