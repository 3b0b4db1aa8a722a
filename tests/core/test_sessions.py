"""Web sessions: login, the cookie, CSRF on unsafe requests, logout, security headers."""
from __future__ import annotations

import pytest
from webtest import TestApp

from tests.conftest import ADMIN_PASSWORD, DOCS

MEMO = {"Form": "Memo", "Subject": "Из браузера"}


def _logged_in(app) -> tuple[TestApp, str]:
    browser = TestApp(app)
    answer = browser.post_json("/api/session", {"name": "admin", "password": ADMIN_PASSWORD})
    return browser, answer.json["csrfToken"]


def test_login_sets_a_safe_cookie_and_the_session_authenticates(app):
    browser = TestApp(app)
    answer = browser.post_json("/api/session", {"name": "ADMIN", "password": ADMIN_PASSWORD})
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("domus_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert ADMIN_PASSWORD not in cookie
    info = browser.get("/api/session").json
    assert info["user"] == "admin" and info["via"] == "session" and info["csrfToken"]
    assert browser.get("/api/databases").status_int == 200


def test_secure_flag_when_asked_or_over_https(app):
    browser = TestApp(app, extra_environ={"wsgi.url_scheme": "https", "HTTP_HOST": "localhost"})
    answer = browser.post_json("/api/session", {"name": "admin", "password": ADMIN_PASSWORD})
    assert "secure" in answer.headers["Set-Cookie"].lower()
    assert "Strict-Transport-Security" in answer.headers


def test_wrong_password_sets_no_cookie(app):
    answer = TestApp(app).post_json("/api/session", {"name": "admin", "password": "nope"},
                                    status=401)
    assert "Set-Cookie" not in answer.headers
    assert "nope" not in answer.text


def test_unsafe_request_with_the_cookie_needs_the_csrf_token(app):
    browser, token = _logged_in(app)
    refused = browser.post_json(DOCS, MEMO, status=403)
    assert refused.json["error"] == "csrf_token_missing"
    browser.post_json(DOCS, MEMO, headers={"X-CSRF-Token": "0" * 64}, status=403)
    made = browser.post_json(DOCS, MEMO, headers={"X-CSRF-Token": token}, status=201).json
    listed = browser.get(f"{DOCS}?limit=1000").json["rows"]
    assert sum(row["@unid"] == made["@unid"] for row in listed) == 1


def test_refused_csrf_request_changed_nothing(app, api):
    browser, _ = _logged_in(app)
    before = api.get(f"{DOCS}?limit=1").json["total"]
    browser.post_json(DOCS, MEMO, status=403)
    assert api.get(f"{DOCS}?limit=1").json["total"] == before


def test_each_login_makes_a_new_session_and_the_old_cookie_dies(app):
    browser, _ = _logged_in(app)
    first = browser.cookies["domus_session"]
    browser.post_json("/api/session", {"name": "admin", "password": ADMIN_PASSWORD})
    second = browser.cookies["domus_session"]
    assert first != second
    replay = TestApp(app)
    replay.set_cookie("domus_session", first)
    replay.get("/api/databases", status=401)


def test_logout_kills_the_cookie_everywhere(app):
    browser, token = _logged_in(app)
    stolen = browser.cookies["domus_session"]
    browser.delete("/api/session", headers={"X-CSRF-Token": token})
    thief = TestApp(app)
    thief.set_cookie("domus_session", stolen)
    thief.get("/api/databases", status=401)
    assert browser.get("/api/session").json["user"] is None


@pytest.mark.parametrize("cookie", [
    "garbage", "0" * 32 + ".forged-secret", "." * 40, "a" * 5000,
])
def test_forged_cookies_are_anonymous(app, cookie):
    client = TestApp(app)
    client.set_cookie("domus_session", cookie)
    client.get("/api/databases", status=401)


def test_a_forged_secret_for_a_real_session_id_fails(app):
    browser, _ = _logged_in(app)
    session_id = browser.cookies["domus_session"].split(".")[0]
    forger = TestApp(app)
    forger.set_cookie("domus_session", f"{session_id}.guessed")
    forger.get("/api/databases", status=401)


def test_logout_needs_the_csrf_token(app):
    browser, _ = _logged_in(app)
    browser.delete("/api/session", status=403)
    assert browser.get("/api/session").json["user"] == "admin"


def test_html_login_form_redirects_only_inside_the_site(app):
    browser = TestApp(app)
    page = browser.get("/login?next=/api/databases")
    assert 'name="password"' in page.text and 'type="password"' in page.text
    answer = browser.post("/login", {"name": "admin", "password": ADMIN_PASSWORD,
                                     "next": "//evil.example/steal",
                                     "csrf_token": page.forms["login"]["csrf_token"].value},
                          status=303)
    assert answer.headers["Location"].endswith("/") and "evil" not in answer.headers["Location"]
    assert browser.get("/api/session").json["user"] == "admin"


def test_html_login_failure_escapes_what_was_typed(app):
    browser = TestApp(app)
    token = browser.get("/login").forms["login"]["csrf_token"].value
    answer = browser.post("/login", {"name": "<script>x</script>", "password": "bad",
                                     "csrf_token": token}, status=401)
    assert "<script>x" not in answer.text and "&lt;script&gt;" in answer.text


def test_basic_is_not_offered_to_browsers(anonymous):
    assert "WWW-Authenticate" in anonymous.get("/api/databases", status=401).headers
    browser = anonymous.get("/api/databases", headers={"Accept": "text/html"}, status=401)
    assert "WWW-Authenticate" not in browser.headers


def test_every_response_carries_the_security_headers(anonymous, api, memo):
    for answer in (anonymous.get("/api"), api.get(f"{DOCS}/{memo['@unid']}"),
                   anonymous.get("/login"), anonymous.get("/nowhere", status=404)):
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]


def test_api_clients_with_basic_need_no_csrf_token(api):
    api.post_json(DOCS, MEMO, status=201)


def test_the_worker_purges_expired_sessions(app):
    from datetime import UTC, datetime, timedelta

    from core.maintenance import PurgeExpiredSessions
    from core.root import server_root
    from core.sessions import sessions_of

    _logged_in(app)
    _logged_in(app)
    connection = app.registry.zodb.open()
    try:
        root = server_root(connection)
        sessions = sessions_of(root)
        assert len(sessions) == 2
        oldest = min(sessions.values(), key=lambda s: s.created)
        oldest.expires = datetime.now(UTC) - timedelta(seconds=1)
        PurgeExpiredSessions().run(root, datetime.now(UTC).timestamp())
        assert len(sessions) == 1 and oldest not in list(sessions.values())
    finally:
        connection.transaction_manager.abort()
        connection.close()
