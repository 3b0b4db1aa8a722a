"""Text on the wire: URLs and forms are checked on the way in, answers on the way out.

WebOb decodes the path, the query string and form bodies lazily, so bytes
that are not UTF-8 raise wherever they are first read — often inside the
error view itself, which then fails too.  The tween reads them once, first,
and answers 400 with the JSON error every door uses.  On the way out, a
page or JSON answer that carries a lone surrogate stored by an older version
is sent with U+FFFD in its place rather than failing to encode.
"""
from __future__ import annotations

import json

from pyramid.response import Response

from core.exceptions import InvalidText
from core.text import check_text, scrub

_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def check_request_text(request) -> None:
    """Refuse a path, query or form field that is not UTF-8 or holds a NUL."""
    try:
        check_text(request.path_info, "the URL path")
        for source, fields in (("query parameter", request.GET),
                               ("form field", request.POST if request.content_type in _FORMS else {})):
            for name, value in fields.items():
                check_text(name, f"the name of a {source}")
                if isinstance(value, str):
                    check_text(value, f"the {source} {name!r}")
    except UnicodeDecodeError:
        raise InvalidText("the URL or the form is not valid UTF-8 (after percent-decoding)") from None
    except LookupError:
        raise InvalidText(f"unknown charset in Content-Type {request.content_type!r}") from None


def valid_text_tween_factory(handler, registry):
    """Outermost tween: a request whose text cannot be decoded never reaches a view."""

    def valid_text_tween(request):
        try:
            check_request_text(request)
        except InvalidText as error:
            # Built here: the error views read request.path, which is what failed.
            raw_path = request.environ.get("PATH_INFO", "")
            key = "reason" if raw_path.startswith("/replication") else "message"
            return Response(json.dumps({"error": error.code, key: error.message}),
                            status=error.status, content_type="application/json",
                            charset="utf-8")
        return handler(request)

    return valid_text_tween


class TextSafeResponse(Response):
    """A response whose text is always sent as valid UTF-8.

    A lone surrogate cannot be encoded; it is replaced by U+FFFD, so a
    document stored with one by an older version is shown, not a 500.
    """

    def _text__set(self, value: str) -> None:
        try:
            super()._text__set(value)
        except UnicodeEncodeError:
            super()._text__set(scrub(value))

    text = property(Response._text__get, _text__set, Response._text__del, Response.text.__doc__)


def text_safe_response(request) -> TextSafeResponse:
    """The response factory: every ``request.response`` is a ``TextSafeResponse``."""
    return TextSafeResponse()
