"""Sort keys for view columns: how Domino orders mixed values, as plain comparable tuples.

A column value becomes ``(rank, value)``: empty values first, then numbers,
then dates and times, then text compared without case (and with ``ё`` as
``е``, as Russian dictionaries order it).  A descending column uses the mirror
image of the same key, so one tuple comparison orders a row by all its sorted
columns, ascending or descending, without custom comparison code.
"""
from __future__ import annotations

from datetime import date, datetime

EMPTY, NUMBER, TIME, TEXT = 0, 1, 2, 3
TAIL = 8  # leads the (TAIL, unid, n) element that ends every view key
HIGHEST = (9,)  # greater than every key element: the end of a category's range
_MIRROR = 0x10FFFF


def _fold(text: str) -> str:
    return text.casefold().replace("ё", "е")


def ascending(value: object) -> tuple:
    if value is None or value == "":
        return (EMPTY, "")
    if isinstance(value, bool):
        return (NUMBER, float(value))
    if isinstance(value, int | float):
        return (NUMBER, float(value))
    if isinstance(value, datetime | date):
        return (TIME, value.isoformat())
    return (TEXT, _fold(str(value)))


class _Mirror(dict):
    """Character -> its mirror image, filled as characters are met (``str.translate`` asks)."""

    def __missing__(self, code: int) -> str:
        mirrored = self[code] = chr(_MIRROR - code)
        return mirrored


_MIRRORED = _Mirror()


def descending(value: object) -> tuple:
    rank, key = ascending(value)
    if rank == NUMBER:
        return (-rank, -key)
    # Mirror every character, then end with the highest one so that a prefix sorts after
    # its longer strings ("абв" before "аб" when descending).
    return (-rank, key.translate(_MIRRORED) + chr(_MIRROR))


def column_key(value: object, direction: str) -> tuple:
    return descending(value) if direction == "descending" else ascending(value)
