"""What one evaluation sees and spends: the document's environment and the budgets.

A view evaluates its formulas once per document, so an evaluation must be
cheap to start (one small ``Run``) and must stop, whatever the formula: a
designer's mistake must not stall the server.  Every operator and @function
pays for what it produces (one step per value, one per 1,000 characters of
text) and no value may hold more than ``MAX_ELEMENTS`` values or
``MAX_TEXT`` characters of text.
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
        return [""] if key is None else read_item(self.items[key], name)

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
        self.spend(len(out) + size // 1000)
        return out

    def text_size(self, size: int) -> None:
        """Refuses a text before it is built, when its length is known in advance."""
        if size > MAX_TEXT:
            raise too_long()
        self.spend(size // 1000)
