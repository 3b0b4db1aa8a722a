"""Item values as a reader expects them: dates and numbers in their locale, rich text made safe.

Documents are schemaless: a form says what type an item should be, but a
document that came by replication or from an integration may hold anything.
So every function here takes any JSON value, shows what it can in the
expected way and falls back to escaped text; nothing a document holds ever
reaches the page unescaped except rich text, and that only after the
sanitiser (nh3, which keeps formatting and drops scripts, handlers, styles
and foreign links).
"""
from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import nh3
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from babel.units import format_unit
from markupsafe import Markup, escape
from pyramid.threadlocal import get_current_request

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")
_URL_SCHEMES = {"http", "https", "mailto"}
_TAG = re.compile(r"<[A-Za-z/!]")


def _parse_datetime(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@lru_cache(maxsize=8192)  # a view page shows the same few dates many times
def show_date(text: str, locale: str) -> str:
    try:
        return format_date(date.fromisoformat(text), "medium", locale=locale)
    except ValueError:
        return text


def show_datetime(text: str, locale: str) -> str:
    """A stored UTC time, in the reader's locale and the server's time zone (``domus.time_zone``).

    The zone is a setting of the server, read from the request being answered,
    so the many places that show a value need not carry it.
    """
    request = get_current_request()
    zone = request.registry.settings.get("domus.time_zone", "UTC") if request is not None else "UTC"
    return _show_datetime(text, locale, zone)


@lru_cache(maxsize=8192)
def _show_datetime(text: str, locale: str, zone: str) -> str:
    """In UTC the time is marked as such, so nobody misreads the hour for a local one."""
    try:
        moment = _parse_datetime(text)
    except ValueError:
        return text
    if zone == "UTC":
        return format_datetime(moment, "medium", tzinfo=UTC, locale=locale) + " UTC"
    return format_datetime(moment, "medium", tzinfo=ZoneInfo(zone), locale=locale)


def show_number(value: object, locale: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return format_decimal(value, locale=locale)


def show_size(length: int, locale: str) -> str:
    """A file size the way people say it: bytes, kilobytes or megabytes (of 1000, as CLDR's units)."""
    for unit, scale in (("digital-megabyte", 1000 * 1000), ("digital-kilobyte", 1000)):
        if length >= scale:
            return format_unit(round(length / scale, 1), unit, "short", locale=locale)
    return format_unit(length, "digital-byte", "short", locale=locale)


def sanitise(html: object) -> Markup:
    """Rich text from a document, reduced to harmless formatting.

    Text typed into the UI's text area has no tags, only line breaks: those
    are kept as breaks instead of running the paragraphs together.
    """
    if not isinstance(html, str):
        return Markup("")
    if not _TAG.search(html):
        return Markup("<br>\n").join(escape(line) for line in html.splitlines())
    return Markup(nh3.clean(html, url_schemes=_URL_SCHEMES, link_rel="noopener noreferrer nofollow"))


def show_scalar(value: object, locale: str) -> str:
    """One value of unknown type: dates recognised by their spelling, numbers grouped."""
    if value is None:
        return ""
    if isinstance(value, str):
        if DATE.match(value):
            return show_date(value, locale)
        if DATETIME.match(value) and "T" in value:
            return show_datetime(value, locale)
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return show_number(value, locale)
    if isinstance(value, dict | list):
        return ", ".join(show_scalar(v, locale) for v in value) if isinstance(value, list) else str(value)
    return str(value)


def as_list(value: object) -> list:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, list) else [value]


def show_typed(kind: str, value: object, locale: str) -> object:
    """An item's value by its declared type: text, a list of texts, or sanitised Markup."""
    if kind == "richtext":
        return sanitise(value)
    values = as_list(value)
    if kind == "date":
        return ", ".join(show_date(v, locale) if isinstance(v, str) else show_scalar(v, locale)
                         for v in values)
    if kind == "datetime":
        return ", ".join(show_datetime(v, locale) if isinstance(v, str) else show_scalar(v, locale)
                         for v in values)
    if kind == "number":
        return ", ".join(show_number(v, locale) for v in values)
    if kind in {"names", "readers", "authors", "keywords"}:
        return [show_scalar(v, locale) for v in values]
    return ", ".join(show_scalar(v, locale) for v in values)
