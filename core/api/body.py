"""Reading what clients send: JSON bodies and query parameters, with limits.

A body is refused before it is read if its declared length is over the limit,
and reading stops at the limit when no length was declared, so a huge upload
never fills memory.
"""
from __future__ import annotations

import json
import math

from core import access
from core.exceptions import (
    BadRequest,
    InvalidJSON,
    PayloadTooLarge,
    RevisionConflict,
    UnsupportedMediaType,
)
from core.text import check_json_text

#: Python's own ceiling for turning digits into an int (``sys.get_int_max_str_digits``).
MAX_INT_DIGITS = 4300


def _reject_constant(name: str) -> None:
    raise InvalidJSON(f"{name} is not valid JSON")


def _parse_int(digits: str) -> int:
    """An integer, refused past ``MAX_INT_DIGITS`` digits before Python is asked to convert it."""
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise InvalidJSON(f"a number in the body has more than {MAX_INT_DIGITS} digits")
    return int(digits)


def _parse_float(text: str) -> float:
    """A finite float: ``1e999`` would become infinity, which JSON cannot carry back."""
    value = float(text)
    if not math.isfinite(value):
        raise InvalidJSON(f"the number {text[:40]} is too large for a JSON number")
    return value


def body_stream(request):
    """The request body from its start.

    pyramid_retry makes the body seekable; a request run again after a write
    conflict must read it from the beginning, not from where the first
    attempt stopped.
    """
    stream = request.body_file_seekable
    stream.seek(0)
    return stream


def json_body(request) -> object:
    """The request's JSON body, refusing wrong types, oversize and malformed input.

    Every door that takes JSON reads it here, so a number Python cannot
    convert or a string no peer can store (``core.text``) is refused once.
    """
    limit = request.registry.settings["domus.max_json_bytes"]
    if request.content_type != "application/json":
        raise UnsupportedMediaType(
            f"send JSON with Content-Type: application/json (got {request.content_type or 'none'!r})"
        )
    length = request.content_length
    if length is not None and length > limit:
        raise PayloadTooLarge(f"the body has {length} bytes; the limit is {limit}")
    raw = body_stream(request).read(limit + 1)
    if len(raw) > limit:
        raise PayloadTooLarge(f"the body is over the limit of {limit} bytes")
    try:
        text = raw.decode("utf-8")
        value = json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int,
                           parse_float=_parse_float)
    except UnicodeDecodeError:
        raise InvalidJSON("the body is not UTF-8") from None
    except json.JSONDecodeError as error:
        raise InvalidJSON(
            f"malformed JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    except RecursionError:
        raise InvalidJSON("the JSON nests too deeply") from None
    return check_json_text(value, text)


def int_param(request, name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    raw = request.params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"parameter {name!r} must be a whole number, got {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise BadRequest(f"parameter {name!r} must be {bound}, got {value}")
    return value


def bool_param(request, name: str, default: bool = False) -> bool:
    raw = request.params.get(name)
    if raw is None:
        return default
    if raw.lower() in {"true", "1", "yes"}:
        return True
    if raw.lower() in {"false", "0", "no"}:
        return False
    raise BadRequest(f"parameter {name!r} must be true or false, got {raw!r}")


def page_size(request, name: str = "limit") -> int:
    settings = request.registry.settings
    return int_param(
        request, name, settings["domus.page_size"], 1, settings["domus.max_page_size"]
    )


def revision_from(request, body: object = None) -> object:
    """The revision the client edits: If-Match header, ``?rev=``, or ``@rev`` in the body."""
    if_match = request.headers.get("If-Match")
    if if_match:
        rev: object = if_match.strip().removeprefix("W/").strip('"')
    elif "rev" in request.params:
        rev = request.params["rev"]
    else:
        rev = body.get("@rev") if isinstance(body, dict) else None
    context = request.context
    document = getattr(context, "document", None)
    if document is not None:
        visible_revision(request, context.database, document, rev)
    return rev


def visible_revision(request, database, document, rev: object) -> object:
    """``rev``, unless its own Readers hide it from the caller: then it is answered as unknown.

    Editing a conflict branch one may not read would change text one may not
    see, so such a revision is refused exactly as a revision that never
    existed (409 naming the current one), and its existence does not leak.
    """
    revision = document.bodies.get(rev) if isinstance(rev, str) else None
    if revision is not None and not access.may_read_revision(request.identity, database, document,
                                                             revision):
        raise RevisionConflict(
            f"revision {rev} is not the current revision {document.winner} of {document.unid}",
            current=document.winner,
        )
    return rev
