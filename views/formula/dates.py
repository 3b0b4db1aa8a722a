"""The time-date @functions: @Adjust, @Year, @Month, @Day and @Date.

A time-date is a ``date`` (a day, as forms store deadlines) or a ``datetime``
with a time zone (as the server stamps creation and changes).  Adjusting a day
by whole days keeps it a day; adding hours to a day makes it a time at
midnight UTC plus those hours.  Adding months keeps the day of the month when
it can and otherwise takes the month's last day (31 January + 1 month is
28 or 29 February), as office deadlines are counted.
"""
from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from views.formula.errors import EvaluationError
from views.formula.runtime import Run
from views.formula.values import DATE, NUMBER, Values, kind


def _dates(values: Values, name: str) -> Values:
    for value in values:
        if kind(value) is not DATE:
            raise EvaluationError(f"{name} needs a time-date, not {kind(value)}")
    return values


def _amount(values: Values, name: str) -> int | float:
    if not values or kind(values[0]) is not NUMBER:
        raise EvaluationError(f"{name} needs numbers after the time-date")
    return values[0]


def _whole(values: Values, name: str) -> int:
    amount = _amount(values, name)
    if amount != int(amount):
        raise EvaluationError(f"{name} moves by whole years and months")
    return int(amount)


def _add_months(value: date, months: int) -> date:
    year, month = divmod(value.year * 12 + value.month - 1 + months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return value.replace(year=year, month=month + 1, day=min(value.day, last))


def adjust(run: Run, when: Values, years: Values, months: Values, days: Values,
           hours: Values, minutes: Values, seconds: Values) -> Values:
    """``@Adjust(Deadline; 0; 0; 30; 0; 0; 0)``: thirty days later."""
    shift = _whole(years, "@Adjust") * 12 + _whole(months, "@Adjust")
    out: Values = []
    try:
        delta = timedelta(days=_amount(days, "@Adjust"), hours=_amount(hours, "@Adjust"),
                          minutes=_amount(minutes, "@Adjust"), seconds=_amount(seconds, "@Adjust"))
        for value in _dates(when, "@Adjust"):
            value = _add_months(value, shift)
            if type(value) is date and (delta.seconds or delta.microseconds):
                value = datetime.combine(value, time(), UTC)
            out.append(value + delta)
    except (ValueError, OverflowError):
        raise EvaluationError("@Adjust: the time-date is out of range") from None
    return run.values(out)


def part(name: str, field: str) -> Callable[[Run, Values], Values]:
    """``@Year``, ``@Month`` or ``@Day`` of every time-date of a value."""
    def of(run: Run, values: Values) -> Values:
        return run.values([getattr(value, field) for value in _dates(values, name)])
    return of


def make_date(run: Run, *args: Values) -> Values:
    """``@Date(2026; 11; 25)`` makes a day; ``@Date(@Now)`` keeps a time-date's day."""
    if len(args) == 1:
        return run.values([value.date() if type(value) is datetime else value
                           for value in _dates(args[0], "@Date")])
    year, month, day = (_whole(arg, "@Date") for arg in args)
    try:
        return [date(year, month, day)]
    except ValueError:
        raise EvaluationError(f"@Date: there is no day {year}-{month}-{day}") from None
