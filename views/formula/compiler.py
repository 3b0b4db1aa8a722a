"""Syntax trees to closures: compiled once, evaluated for every document.

Each node becomes a Python closure taking the evaluation's ``Run`` and
returning a list of values, so evaluating walks no tree and looks nothing up
by name: names are resolved here (a temporary variable once assigned, else an
item), @functions are found and their arities checked here, and the common
shapes (one operator, up to two arguments) get closures without loops.
Nothing in the language reaches Python objects: the only calls are to the
closures and @functions built here.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from views.formula.errors import EvaluationError, formula_error
from views.formula.functions import FUNCTIONS, ITEM, KEYWORD, LAZY
from views.formula.operators import arithmetic, comparison
from views.formula.runtime import EMPTY, Run
from views.formula.syntax import (
    Arithmetic,
    Assign,
    Call,
    Comparison,
    Keyword,
    Listing,
    Literal,
    Logic,
    Name,
    Prefix,
)
from views.formula.values import Value, Values, kind, number, truth

Code = Callable[[Run], Values]
_MISSING = object()


@dataclass(frozen=True)
class Compiled:
    code: Code
    items_used: frozenset[str]
    uses_time: bool


class _Compiler:
    def __init__(self) -> None:
        self.variables: dict[str, int] = {}
        self.items: set[str] = set()
        self.uses_time = False

    def program(self, statements: tuple) -> Code:
        last = statements[-1]
        if isinstance(last, Assign):
            raise formula_error(f"the formula ends by assigning {last.name}: end it with a value",
                                last.line, last.column)
        codes = [self.statement(statement) for statement in statements]
        if len(codes) == 1:
            return codes[0]
        before, result, variables = codes[:-1], codes[-1], len(self.variables)

        def program(run: Run) -> Values:
            run.variables = [EMPTY] * variables
            for code in before:
                code(run)
            return result(run)
        return program

    def statement(self, node: object) -> Code:
        if not isinstance(node, Assign):
            return self.node(node)
        value = self.node(node.value)  # compiled first: in ``x := x + 1`` the right x is still the item
        slot = self.variables.setdefault(node.name.casefold(), len(self.variables))

        def assign(run: Run) -> Values:
            run.variables[slot] = value(run)
            return run.variables[slot]
        return assign

    def node(self, node: object) -> Code:
        match node:
            case Literal(value=value):
                return _literal(value)
            case Name(name=name):
                return self.name(name)
            case Logic():
                return _logic(self.node(node.first), [(op, self.node(n)) for op, n in node.rest])
            case Comparison():
                return _fold(self.node(node.first), [(comparison(op), self.node(n)) for op, n in node.rest])
            case Arithmetic():
                return _fold(self.node(node.first), [(arithmetic(op), self.node(n)) for op, n in node.rest])
            case Listing(parts=parts):
                return _listing([self.node(part) for part in parts])
            case Prefix(op="!"):
                return _not(self.node(node.operand), node.times % 2 == 1)
            case Prefix():
                return _minus(self.node(node.operand), node.times % 2 == 1)
            case Call():
                return self.call(node)
        # What remains is a bracketed keyword where no @function asked for one.
        raise formula_error(f"{node.name} may only be the first argument of @Name", node.line, node.column)

    def name(self, name: str) -> Code:
        slot = self.variables.get(name.casefold())
        if slot is not None:
            def variable(run: Run) -> Values:
                return run.variables[slot]
            return variable
        self.items.add(name)

        def item(run: Run) -> Values:
            value = run.items.get(name, _MISSING)
            if type(value) is str and (len(value) < 10 or value[4] != "-"):  # plain text, not a date
                return [value]
            if value is _MISSING:
                return run.item(name)
            return run.read_item(value, name)
        return item

    def call(self, node: Call) -> Code:
        function = FUNCTIONS.get(node.name.lower())
        if function is None:
            raise formula_error(f"unknown function {node.name}", node.line, node.column)
        problem = function.arity_problem(len(node.args))
        if problem:
            raise formula_error(problem, node.line, node.column)
        self.uses_time |= function.uses_time
        impl, args = function.impl, node.args
        if function.how == ITEM:
            if not isinstance(args[0], Name):
                raise formula_error(f"{function.name} needs an item name", node.line, node.column)
            name = args[0].name
            self.items.add(name)
            return lambda run: impl(run, name)
        if function.how == KEYWORD:
            if not isinstance(args[0], Keyword) or args[0].name.lower() not in function.keywords:
                raise formula_error(f"{function.name} needs one of {', '.join(function.keywords)} first",
                                    node.line, node.column)
            args = args[1:]
        codes = [self.node(arg) for arg in args]
        if function.how == LAZY:
            return lambda run: impl(run, codes)
        return _call(impl, codes)


def _literal(value: object) -> Code:
    def literal(run: Run) -> Values:
        return [value]
    return literal


def _fold(first: Code, rest: list[tuple[Callable, Code]]) -> Code:
    """``first op x op y …`` left to right; the usual single operator without a loop."""
    if len(rest) == 1:
        [(apply, second)] = rest

        def binary(run: Run) -> Values:
            return apply(run, first(run), second(run))
        return binary

    def chain(run: Run) -> Values:
        values = first(run)
        for apply, code in rest:
            values = apply(run, values, code(run))
        return values
    return chain


def _logic(first: Code, rest: list[tuple[str, Code]]) -> Code:
    """``&`` and ``|`` (one precedence level, left to right), stopping as soon as the result is known."""
    if all(op == "&" for op, _ in rest):
        codes = [code for _, code in rest]

        def all_of(run: Run) -> Values:
            if not truth(first(run)):
                return [0]
            for code in codes:
                if not truth(code(run)):
                    return [0]
            return [1]
        return all_of

    def mixed(run: Run) -> Values:
        result = truth(first(run))
        for op, code in rest:
            if result != (op == "&"):  # true | … and false & … are already decided
                continue
            result = truth(code(run))
        return [1 if result else 0]
    return mixed


def _listing(codes: list[Code]) -> Code:
    def listing(run: Run) -> Values:
        out: Values = []
        for code in codes:
            part = code(run)
            run.count(len(out) + len(part))
            out.extend(part)
        return run.values(out)
    return listing


def _not(operand: Code, odd: bool) -> Code:
    def negation(run: Run) -> Values:
        return [1 if truth(operand(run)) != odd else 0]
    return negation


def _minus(operand: Code, odd: bool) -> Code:
    sign = -1 if odd else 1

    def minus(run: Run) -> Values:
        return run.values([_negate(value, sign) for value in operand(run)])
    return minus


def _negate(value: Value, sign: int) -> Value:
    if type(value) is int or type(value) is float:
        return number(sign * value)
    raise EvaluationError(f"cannot negate {kind(value)}")


def _call(impl: Callable, codes: list[Code]) -> Code:
    """A call with its arguments evaluated, without building a tuple for the usual arities."""
    match codes:
        case []:
            return impl
        case [a]:
            return lambda run: impl(run, a(run))
        case [a, b]:
            return lambda run: impl(run, a(run), b(run))
    return lambda run: impl(run, *[code(run) for code in codes])


def compile_program(statements: tuple) -> Compiled:
    """The closure for parsed ``statements``, with what it reads and whether it reads the clock."""
    compiler = _Compiler()
    code = compiler.program(statements)
    return Compiled(code, frozenset(compiler.items), compiler.uses_time)
