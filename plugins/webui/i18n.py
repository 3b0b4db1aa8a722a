"""Which language a page speaks, and the words of the design in that language.

The user picks Russian or English (a cookie, set by the language switch);
without a choice the page speaks ``domus.default_language``.  Only the
languages we ship a catalog for are ever negotiated, so a forged cookie
cannot send Pyramid looking for catalogs elsewhere.  Titles and labels in a
database's design are ``{"ru": …, "en": …}`` mappings or plain text.
"""
from __future__ import annotations

from collections.abc import Mapping

from pyramid.i18n import TranslationString, TranslationStringFactory
from pyramid.threadlocal import get_current_request

LANGUAGES = ("ru", "en")
LANGUAGE_COOKIE = "domus_language"
LANGUAGE_NAMES = {"ru": "Русский", "en": "English"}

_ = TranslationStringFactory("domus")


def negotiate_locale(request) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.registry.settings.get("domus.default_language", LANGUAGES[0])


def in_language(text: object, locale: str, fallback: str = "") -> str:
    """A design title or label in ``locale``: the other language, then ``fallback``, if missing."""
    if isinstance(text, Mapping):
        for language in (locale, *LANGUAGES):
            value = text.get(language)
            if isinstance(value, str) and value:
                return value
        return fallback
    return str(text) if text not in (None, "") else fallback


def translated(value: object) -> object:
    """Jinja2's ``finalize``: messages made in Python (``_("…")``) print in the page's language.

    Jinja2 calls it for every ``{{ … }}`` of a template being rendered for a
    request, so views hand over translation strings, not finished text.
    """
    if isinstance(value, TranslationString):
        return get_current_request().localizer.translate(value)
    return value
