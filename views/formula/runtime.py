"""What one evaluation sees and spends: the document's environment and the budgets.

A view evaluates its formulas once per document, so an evaluation must be
cheap to start (one small ``Run``) and must stop, whatever the formula: a
designer's mistake must not stall the server.  A step is not a fixed amount of
work: an operation on a huge text or list costs what it touches.  Every
operator and @function pays, before it does the work, for what it produces
and for what it reads beyond that (one step per value, one per
``TEXT_PER_STEP`` characters copied or compared, one per ``SEARCH_PER_STEP``
characters searched, since a search may look at a character many times), so
``STEP_BUDGET`` bounds the CPU time of an evaluation (tens of milliseconds),
and the characters it may produce in all.  No value may hold more than
``MAX_ELEMENTS`` values or ``MAX_TEXT`` characters of text.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from views.formula.errors import EvaluationError
from views.formula.values import Values, read_item

STEP_BUDGET = 100_000
MAX_ELEMENTS = 10_000
MAX_TEXT = 1_000_000
#: Characters copied, compared or produced for one step: 100,000 steps make at most 10 million.
TEXT_PER_STEP = 100
#: Characters searched (``@Contains``, ``@Explode``, ``@Left`` at a text) for one step: the
#: worst needle makes ``str.find`` take ~20 ns a character, so a budget is ~50 ms at worst.
SEARCH_PER_STEP = 25
#: What an empty list counts as in operators: one empty text, as a missing item reads (never returned).
EMPTY: Values = [""]


@dataclass(slots=True)
class Environment:
    """One document, and who evaluates it when: everything a formula may read."""

    items: Mapping[str, object]
    unid: str = ""
    parent_unid: str | None = None
    created: str = ""
    modified: str = ""
    user_name: str = ""
    #: None means the clock at evaluation; views pass one ``now`` for a whole rebuild.
    now: datetime | None = None


def text_chars(values: Values) -> int:
    """Characters of text in ``values`` (numbers and time-dates count as none)."""
    return sum(len(value) for value in values if type(value) is str)


def compared(left: Values, right: Values) -> int:
    """At most the characters read when each of ``left`` is compared with each of ``right``."""
    return min(text_chars(left) * len(right), text_chars(right) * len(left))


def _too_many() -> EvaluationError:
    return EvaluationError(f"a list would have more than {MAX_ELEMENTS:,} values")


def too_long() -> EvaluationError:
    return EvaluationError(f"a text would be longer than {MAX_TEXT:,} characters")


class Run:
    """The state of one evaluation: the environment, temporary variables and the steps spent."""

    __slots__ = ("env", "items", "variables", "steps", "_folded", "_now")

    def __init__(self, env: Environment) -> None:
        # Only what every evaluation needs: a view makes a million of these.  ``variables`` is
        # set by formulas that assign some; ``_folded`` and ``_now`` when first needed.
        self.env = env
        self.items = env.items
        self.steps = 0

    def _spelled(self, name: str) -> str | None:
        """The item's own spelling of ``name``, found case-insensitively as Domino does."""
        try:
            folded = self._folded
        except AttributeError:
            folded = self._folded = {}
            for key in self.items:
                folded.setdefault(key.casefold(), key)
        return folded.get(name.casefold())

    def item(self, name: str) -> Values:
        """An item not spelled exactly as in the formula, or ``[""]`` if the document has none."""
        key = self._spelled(name)
        return [""] if key is None else self.read_item(self.items[key], name)

    def read_item(self, value: object, name: str) -> Values:
        """An item's value, a list item paid for by its length (an item is not bounded in size)."""
        if type(value) is list:
            self.spend(len(value))
        return read_item(value, name)

    def has_item(self, name: str) -> bool:
        return name in self.items or self._spelled(name) is not None

    def now(self) -> datetime:
        """One clock reading per evaluation, always with a time zone (UTC if none was given)."""
        try:
            return self._now
        except AttributeError:
            now = self.env.now or datetime.now(UTC)
            self._now = now if now.tzinfo else now.replace(tzinfo=UTC)
            return self._now

    def spend(self, steps: int) -> None:
        self.steps += steps
        if self.steps > STEP_BUDGET:
            raise EvaluationError(f"the formula needs more than {STEP_BUDGET:,} steps for this document")

    def read(self, values: Values) -> None:
        """Pays for reading every value and character of ``values`` once (hashing, comparing)."""
        self.spend(len(values) + text_chars(values) // TEXT_PER_STEP)

    def search(self, chars: int) -> None:
        """Pays for searching ``chars`` characters, before the search is made."""
        self.spend(chars // SEARCH_PER_STEP)

    def values(self, values: Values) -> Values:
        """A produced list, checked for length and paid for."""
        if len(values) > MAX_ELEMENTS:
            raise _too_many()
        self.spend(len(values))
        return values

    def count(self, elements: int) -> None:
        """Refuses a list before it is built, when its length is known in advance."""
        if elements > MAX_ELEMENTS:
            raise _too_many()

    def texts(self, texts: Iterable[str]) -> list[str]:
        """Produced texts, checked while they are made so that no huge value is ever built."""
        out: list[str] = []
        size = 0
        for text in texts:
            size += len(text)
            if size > MAX_TEXT:
                raise too_long()
            out.append(text)
            if len(out) > MAX_ELEMENTS:
                raise _too_many()
        self.spend(len(out) + size // TEXT_PER_STEP)
        return out

    def text_size(self, size: int) -> None:
        """Refuses a text before it is built, when its length is known in advance."""
        if size > MAX_TEXT:
            raise too_long()
        self.spend(size // TEXT_PER_STEP)
