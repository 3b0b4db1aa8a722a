"""Formula text to a small syntax tree, with lark's LALR parser.

The grammar knows only literals, item names, @function calls, operators and
temporary variables: there is no attribute access, no call of anything but an
@function, no loop.  Before lark sees the text it is checked for length and
for bracket depth, so a hostile formula can neither take long to parse nor
nest deep enough to exhaust Python's stack; operator chains (``a + b + …``)
come out flat and repeated prefixes (``!!!a``) are folded into one node.
The tree is built while parsing (lark's embedded transformer), without a
second recursive walk.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from lark import Lark, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from views.formula.errors import FormulaError, formula_error, position_of
from views.formula.values import Value, parse_iso

MAX_LENGTH = 10_000
MAX_DEPTH = 50

GRAMMAR = r"""
start: statement (";" statement)* ";"?

?statement: NAME ":=" logic          -> assign
          | _SELECT logic
          | logic

?logic: logic_term (LOGIC_OP logic_term)*
?logic_term: "!" logic_term          -> negation
           | comparison
?comparison: sum (CMP_OP sum)*
?sum: product ((PLUS | MINUS) product)*
?product: listing (MUL_OP listing)*
?listing: unary (":" unary)*
?unary: MINUS unary                  -> minus
      | atom
?atom: STRING                        -> text
     | BRACE_TEXT                    -> text
     | NUMBER                        -> number
     | DATE                          -> date
     | KEYWORD                       -> keyword
     | NAME                          -> name
     | FUNCTION ["(" [logic (";" logic)*] ")"] -> call
     | "(" logic ")"

_SELECT.2: /select\b/i
LOGIC_OP: /[&|]/
CMP_OP: /\*?(?:<>|!=|<=|>=|=|<|>)/
MUL_OP: /[*\/]/
PLUS: "+"
MINUS: "-"
STRING: /"(?:[^"\\]|\\.)*"/s
BRACE_TEXT: /\{[^}]*\}/
NUMBER: /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/
DATE: /\[\d{4}-\d{2}-\d{2}(?:T[0-9:.Z+\-]*)?\]/
KEYWORD: /\[[A-Za-z]\w*\]/
NAME: /[^\W\d]\w*/
FUNCTION: /@\w+/

%ignore /\s+/
"""


@dataclass(frozen=True, slots=True)
class Literal:
    value: Value


@dataclass(frozen=True, slots=True)
class Keyword:
    """A bracketed keyword such as ``[CN]``: only @functions that take one accept it."""

    name: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Name:
    """An item, or a temporary variable once one of that name has been assigned."""

    name: str


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Prefix:
    """``op`` (``-`` or ``!``) applied ``times`` times in a row."""

    op: str
    operand: object
    times: int


@dataclass(frozen=True, slots=True)
class Chain:
    """``first op operand op operand …`` of one precedence level, evaluated left to right."""

    first: object
    rest: tuple[tuple[str, object], ...]


@dataclass(frozen=True, slots=True)
class Logic(Chain):
    pass


@dataclass(frozen=True, slots=True)
class Comparison(Chain):
    pass


@dataclass(frozen=True, slots=True)
class Arithmetic(Chain):
    pass


@dataclass(frozen=True, slots=True)
class Listing:
    """``a : b : c``."""

    parts: tuple


@dataclass(frozen=True, slots=True)
class Assign:
    name: str
    value: object
    line: int
    column: int


def _chain(cls: type, children: list) -> Chain:
    return cls(children[0], tuple(zip(map(str, children[1::2]), children[2::2], strict=True)))


def _prefix(op: str, operand: object) -> Prefix:
    if isinstance(operand, Prefix) and operand.op == op:
        return Prefix(op, operand.operand, operand.times + 1)
    return Prefix(op, operand, 1)


class _ToTree(Transformer):
    """Lark's callbacks, one per grammar rule, run while parsing."""

    def start(self, children: list) -> tuple:
        return tuple(children)

    def assign(self, children: list) -> Assign:
        name, value = children
        return Assign(str(name), value, name.line, name.column)

    def logic(self, children: list) -> Chain:
        return _chain(Logic, children)

    def comparison(self, children: list) -> Chain:
        return _chain(Comparison, children)

    def sum(self, children: list) -> Chain:
        return _chain(Arithmetic, children)

    product = sum

    def listing(self, children: list) -> Listing:
        return Listing(tuple(children))

    def negation(self, children: list) -> Prefix:
        return _prefix("!", children[0])

    def minus(self, children: list) -> Prefix:
        return _prefix("-", children[1])

    def text(self, children: list) -> Literal:
        token = children[0]
        if token.type == "BRACE_TEXT":
            return Literal(token[1:-1])
        return Literal(re.sub(r"\\(.)", r"\1", token[1:-1], flags=re.DOTALL))

    def number(self, children: list) -> Literal:
        token = children[0]
        if token.isdigit() and len(token) <= 15:
            return Literal(int(token))
        value = float(token)
        if value == float("inf"):
            raise formula_error(f"the number {token[:20]} is too large", token.line, token.column)
        return Literal(int(value) if value.is_integer() and value < 2 ** 53 else value)

    def date(self, children: list) -> Literal:
        token = children[0]
        value = parse_iso(token[1:-1])
        if value is None:
            raise formula_error(f"{token} is not a date: write [2026-11-25] or [2026-11-25T10:00:00Z]",
                                token.line, token.column)
        return Literal(value)

    def keyword(self, children: list) -> Keyword:
        token = children[0]
        return Keyword(str(token), token.line, token.column)

    def name(self, children: list) -> Name:
        return Name(str(children[0]))

    def call(self, children: list) -> Call:
        token, *args = children
        return Call(str(token), tuple(arg for arg in args if arg is not None), token.line, token.column)


@functools.cache
def _parser() -> Lark:
    """Built on first use, not at import: building the LALR tables takes a moment."""
    return Lark(GRAMMAR, parser="lalr", transformer=_ToTree(), maybe_placeholders=False)


def _check_depth(source: str) -> None:
    """Refuses deep bracket nesting by a plain scan, before any recursion could happen."""
    depth, closer, escaped = 0, "", False
    for offset, char in enumerate(source):
        if closer:
            if escaped:
                escaped = False
            elif char == "\\" and closer == '"':
                escaped = True
            elif char == closer:
                closer = ""
        elif char == '"' or char == "{":
            closer = '"' if char == '"' else "}"
        elif char == "(":
            depth += 1
            if depth > MAX_DEPTH:
                raise formula_error(f"the formula nests brackets deeper than {MAX_DEPTH} levels",
                                    *position_of(source, offset))
        elif char == ")":
            depth -= 1


def _syntax_error(source: str, error: UnexpectedInput) -> FormulaError:
    if isinstance(error, UnexpectedCharacters):
        char = source[error.pos_in_stream]
        if char in '"{':
            return formula_error("text is not closed", error.line, error.column)
        return formula_error(f'unexpected character "{char}"', error.line, error.column)
    token = error.token if isinstance(error, UnexpectedToken) else None
    if token is None or token.type == "$END":
        return formula_error("unexpected end of formula", *position_of(source, len(source)))
    problem = f'unexpected "{token}"'
    if token == "(" and re.search(r"\w\s*$", source[:token.start_pos]):
        problem += " (only @functions can be called)"
    return formula_error(problem, token.line, token.column)


def parse(source: str) -> tuple:
    """The statements of ``source`` as syntax trees, or a FormulaError saying what and where."""
    if len(source) > MAX_LENGTH:
        raise FormulaError(f"the formula is too long: {len(source):,} characters, at most {MAX_LENGTH:,}")
    _check_depth(source)
    try:
        return _parser().parse(source)
    except UnexpectedInput as error:
        raise _syntax_error(source, error) from None

