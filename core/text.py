"""What text Domus accepts: valid Unicode, without NULs.

Python strings may hold lone UTF-16 surrogates (JSON's ``"\\ud800"`` decodes
to one) and NULs; neither can be written as UTF-8, compared by a peer, or
shown in a page, so one stored in a document breaks every answer that
carries it.  Every door refuses them (``check_text``, ``check_json_text``);
what an older version stored is shown with U+FFFD in its place (``scrub``)
until ``domus check --repair`` rewrites it.
"""
from __future__ import annotations

import re

from core.exceptions import InvalidText

#: A NUL or a surrogate code point.  A valid pair never reaches Python as two
#: code points (the JSON decoder joins it), so any surrogate found is lone.
BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
#: A ``\\u`` escape that may decode to a bad character: the only way one gets
#: into JSON read from valid UTF-8, so a body without it needs no walk.
_BAD_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
REPLACEMENT = "\ufffd"


def describe(character: str) -> str:
    """An operator's name for a bad character: ``a lone surrogate (U+D800)``."""
    kind = "a NUL character" if character == "\x00" else "a lone surrogate"
    return f"{kind} (U+{ord(character):04X})"


def bad_character(text: str) -> str | None:
    """The first NUL or lone surrogate in ``text``, or None."""
    found = BAD_CHARACTER.search(text)
    return found.group() if found else None


def check_text(text: str, where: str) -> str:
    """Return ``text`` or refuse it, naming ``where`` it was sent (``"item 'Subject'"``)."""
    character = bad_character(text)
    if character is not None:
        raise InvalidText(f"{where} holds {describe(character)}; send valid Unicode text")
    return text


def _json_path(path: tuple[object, ...]) -> str:
    out = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path)
    return out.lstrip(".")


def find_bad_json_text(value: object) -> str | None:
    """Where in a JSON value a key or string holds a bad character, said for an operator; else None.

    Walks with its own stack: a value nested as deep as the JSON decoder
    allows must not exhaust Python's.
    """
    stack: list[tuple[object, tuple[object, ...]]] = [(value, ())]
    while stack:
        current, path = stack.pop()
        if isinstance(current, str):
            character = bad_character(current)
            if character is not None:
                return f"the value at {_json_path(path)} holds {describe(character)}"
        elif isinstance(current, dict):
            for key, element in current.items():
                character = bad_character(key) if isinstance(key, str) else None
                if character is not None:
                    within = f" in {_json_path(path)}" if path else ""
                    return f"the name {scrub(key)[:80]!r}{within} holds {describe(character)}"
                stack.append((element, (*path, key)))
        elif isinstance(current, list):
            stack.extend((element, (*path, index)) for index, element in enumerate(current))
    return None


def check_json_text(value: object, raw: str | None = None) -> object:
    """Return a decoded JSON value or refuse it if any key or string holds a bad character.

    ``raw``, the JSON text it was decoded from, lets a clean body skip the walk.
    """
    if raw is not None and not _BAD_ESCAPE.search(raw):
        return value
    where = find_bad_json_text(value)
    if where is not None:
        raise InvalidText(f"{where}; send valid Unicode text")
    return value


def scrub(text: str, nul: bool = False) -> str:
    """``text`` with each lone surrogate (and with ``nul``, each NUL) replaced by U+FFFD."""
    return (BAD_CHARACTER if nul else _SURROGATE).sub(REPLACEMENT, text)


def utf8(text: str) -> bytes:
    """``text`` as UTF-8, each lone surrogate (stored by an older version) sent as U+FFFD."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return scrub(text).encode("utf-8")


def scrub_json(value: object) -> object:
    """A copy of a JSON value whose keys and strings hold neither NULs nor lone surrogates."""
    if isinstance(value, str):
        return scrub(value, nul=True)
    if isinstance(value, list):
        return [scrub_json(element) for element in value]
    if isinstance(value, dict):
        return {scrub(key, nul=True) if isinstance(key, str) else key: scrub_json(element)
                for key, element in value.items()}
    return value
