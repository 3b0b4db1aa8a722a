"""Formula values: what an item holds, seen the way the formula language sees it.

Every value is a list, as in Domino, where a single value is a list of one.
Elements are text (``str``), numbers (``int`` or ``float``; true and false are
1 and 0) and time-dates (``date``, or ``datetime`` with a time zone).  JSON has
no date type, so text in ISO form is read as a time-date: forms declare such
items as dates, and reading them back as dates is what lets ``Deadline <
@Today`` work.  Numbers are Domino's doubles: whole results come back as
``int`` so that ``6 / 2`` shows as 3, not 3.0.
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta

from views.formula.errors import EvaluationError

Value = str | int | float | date | datetime
Values = list[Value]

TEXT, NUMBER, DATE = "text", "number", "time-date"
KINDS: dict[type, str] = {str: TEXT, int: NUMBER, float: NUMBER, date: DATE, datetime: DATE}
#: The largest whole number a double holds exactly; past it numbers are floats.
_EXACT = 2 ** 53
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})")


def kind(value: Value) -> str:
    return KINDS[type(value)]


def parse_iso(text: str) -> date | datetime | None:
    """``YYYY-MM-DD`` as a date, an ISO time with a zone as a datetime, anything else None."""
    try:
        if _ISO_DATE.fullmatch(text):
            return date.fromisoformat(text)
        if _ISO_DATETIME.fullmatch(text):
            return datetime.fromisoformat(text)
    except ValueError:  # 2026-02-30 looks like a date but is none: it stays text
        return None
    return None


def from_text(text: str) -> Value:
    """Item text as the formula sees it: a time-date when it is written as one."""
    if len(text) >= 10 and text[4] == "-" and text[:4].isdigit():
        parsed = parse_iso(text)
        if parsed is not None:
            return parsed
    return text


def _element(value: object, name: str) -> Value:
    kind_of = type(value)
    if kind_of is str:
        return from_text(value)
    if kind_of is int or kind_of is float:
        return value
    if kind_of is bool:
        return int(value)
    if value is None:
        return ""
    raise EvaluationError(f"item {name} holds a {kind_of.__name__}, which formulas cannot read")


def read_item(value: object, name: str) -> Values:
    """A JSON item value as a formula value (a list; a missing item is read elsewhere as ``[""]``)."""
    if type(value) is list:
        return [_element(element, name) for element in value]
    return [_element(value, name)]


def number(value: int | float) -> int | float:
    """A computed number as Domino keeps it: a double, whole ones as ``int``; infinity is an error."""
    if type(value) is int:
        if -_EXACT <= value <= _EXACT:
            return value
        try:
            value = float(value)
        except OverflowError:
            raise EvaluationError("a number is too large") from None
    if math.isinf(value) or math.isnan(value):
        raise EvaluationError("a number is too large")
    if value.is_integer() and -_EXACT <= value <= _EXACT:
        return int(value)
    return value


def day(value: date | datetime) -> date:
    """The date part: how a date is compared with a datetime."""
    return value.date() if type(value) is datetime else value


def comparable(left: Value, right: Value) -> tuple[Value, Value]:
    """Two values that Python may compare, or an error if their kinds differ."""
    left_kind, right_kind = KINDS[type(left)], KINDS[type(right)]
    if left_kind is not right_kind:
        raise EvaluationError(f"cannot compare {left_kind} with {right_kind}")
    if left_kind is DATE and type(left) is not type(right):
        return day(left), day(right)
    return left, right


def same(left: Value, right: Value) -> bool:
    """Equality that is simply false across kinds (for @Member)."""
    if KINDS[type(left)] is not KINDS[type(right)]:
        return False
    left, right = comparable(left, right)
    return left == right


def truth(values: Values) -> bool:
    """A condition: the first value, a number, is not zero; no values at all are false."""
    if not values:
        return False
    first = values[0]
    if type(first) is int or type(first) is float:
        return first != 0
    raise EvaluationError(f"a condition must be a number (1 or 0), not {kind(first)}")


def to_text(value: Value) -> str:
    """``@Text``: numbers without a trailing .0, time-dates in ISO form (UTC as ``Z``)."""
    kind_of = type(value)
    if kind_of is str:
        return value
    if kind_of is int:
        return str(value)
    if kind_of is float:
        return format(value, ".15g")
    if kind_of is datetime:
        spec = "milliseconds" if value.microsecond else "seconds"
        text = value.isoformat(timespec=spec)
        return text[:-6] + "Z" if value.utcoffset() == timedelta(0) else text
    return value.isoformat()
