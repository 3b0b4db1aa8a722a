"""Login CSRF: a login is accepted only from this site's own pages.

Without these checks another site could make a visitor's browser post the
*attacker's* name and password to ``/login``: the visitor would then work,
unknowingly, in the attacker's account, and what they type would be the
attacker's to read.  The session's CSRF token cannot help, since there is
no session yet, so a login has two checks of its own:

- **Origin.**  Browsers name the site a POST comes from (``Origin``, or at
  least ``Referer``).  A login that names another host is refused with
  ``403 bad_origin``.  A request naming neither comes from no browser page
  (scripts, old clients) and is left to the next check.
- **A pre-session token** (the HTML form).  ``GET /login`` sets a
  short-lived cookie holding a random token and writes the same token into
  the form; ``POST /login`` must bring both, equal (a "double submit").
  Another site can neither read nor set this site's cookie, so it cannot
  forge the pair: ``403 csrf_token_missing`` otherwise.

``POST /api/session`` takes only ``application/json``, which no HTML form
can send and no other site's script may send without a CORS permission
this server never grants; it gets the Origin check all the same.
"""
from __future__ import annotations

import hmac
import re
import secrets
from urllib.parse import urlsplit

from pyramid.exceptions import BadCSRFOrigin, BadCSRFToken
from webob.cookies import make_cookie

from core.sessions import cookies_are_secure

COOKIE = "domus_login"
FIELD = "csrf_token"
MAX_AGE = 2 * 3600  # a login page left open longer is simply reloaded
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _host(scheme: str, netloc: str) -> str:
    """``host[:port]`` in lower case, without the scheme's default port ("" if malformed)."""
    try:
        parts = urlsplit(f"//{netloc}")
        port = parts.port
    except ValueError:
        return ""
    host = parts.hostname or ""
    return host if port is None or str(port) == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"


def _sender(request) -> str | None:
    """The host the browser says the request comes from, "" if unusable, None if unnamed."""
    named = request.headers.get("Origin") or request.headers.get("Referer")
    if not named:
        return None
    parts = urlsplit(named)
    return _host(parts.scheme, parts.netloc) if parts.scheme in _DEFAULT_PORTS else ""


def check_origin(request) -> None:
    """Refuse a login a browser says comes from another site (``BadCSRFOrigin``: 403)."""
    sender = _sender(request)
    if sender is not None and sender != _host(request.scheme, request.host):
        raise BadCSRFOrigin(f"a login from {sender or 'an unnamed page'} is not accepted here")


def form_token(request) -> str:
    """The token the login form carries: the browser's pre-session cookie, or a new one set now."""
    token = request.cookies.get(COOKIE, "")
    if not _TOKEN.fullmatch(token):
        token = secrets.token_urlsafe(24)
        request.response.headerlist.append(("Set-Cookie", make_cookie(
            COOKIE, token, max_age=MAX_AGE, path="/login", secure=cookies_are_secure(request),
            httponly=True, samesite="Strict")))
    return token


def check_form_token(request) -> None:
    """The form's token must equal its cookie's (``BadCSRFToken``: 403)."""
    cookie, field = request.cookies.get(COOKIE, ""), request.POST.get(FIELD, "")
    if not _TOKEN.fullmatch(cookie) or not hmac.compare_digest(cookie, str(field)):
        raise BadCSRFToken("the login form's token is missing or does not match its cookie")
