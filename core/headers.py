"""Security headers on every response.

Pages may load only our own scripts, styles and images and may not be framed
(clickjacking); browsers must not guess content types; no referrer leaves
the site.  A view that needs a stricter policy sets its own header first (an
attachment download is a ``sandbox``): these are defaults, never overrides.
"""
from __future__ import annotations

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def add_security_headers(event) -> None:
    headers = event.response.headers
    for name, value in HEADERS.items():
        headers.setdefault(name, value)
    if event.request.scheme == "https":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
