"""Issue 13's credential findings, reproduced through the real endpoints.

Wrong credentials are a 401 on every path; a password change ends the user's
other sessions and tokens; administrators list and revoke anyone's; the login
form refuses cross-site posts; and an anonymous client cannot lock the
administrator out from another address.
"""
from __future__ import annotations

import re

import pytest
from webtest import TestApp

from tests.conftest import ADMIN_PASSWORD

DIRECTORY = "/api/databases/directory/documents"
CLERK_PASSWORD = "Clerk-password-1"
ATTACKER = "203.0.113.66"
ADMIN_DESK = "10.0.0.7"


@pytest.fixture
def settings(tmp_path) -> dict:
    return {"zodbconn.uri": "memory://", "domus.var_dir": str(tmp_path / "var"),
            "domus.login_free_failures": "2", "domus.lockout_failures": "4",
            "domus.account_slowdown_failures": "3", "domus.account_max_delay_seconds": "0.2"}


def _basic(app, name: str, password: str, address: str = ADMIN_DESK) -> TestApp:
    client = TestApp(app, extra_environ={"REMOTE_ADDR": address})
    client.authorization = ("Basic", (name, password))
    return client


def _login_page_token(browser: TestApp) -> str:
    page = browser.get("/login")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _session(app, name: str = "admin", password: str = ADMIN_PASSWORD) -> tuple[TestApp, str]:
    browser = TestApp(app)
    answer = browser.post_json("/api/session", {"name": name, "password": password})
    return browser, answer.json["csrfToken"]


@pytest.fixture
def clerk(api) -> dict:
    """A person the administrator made; answers the Person document's write answer."""
    return api.post_json(DIRECTORY, {"Form": "Person", "UserName": "clerk", "FullName": "Clerk",
                                     "Password": CLERK_PASSWORD}, status=201).json


def _token(client: TestApp, headers: dict | None = None) -> dict:
    return client.post_json("/api/tokens", {"label": "скрипт"}, headers=headers or {},
                            status=201).json


# -- wrong credentials are a 401 everywhere ------------------------------------------------
@pytest.mark.parametrize("path", ["/api", "/replication/", "/api/session"])
def test_a_wrong_password_is_401_even_where_anonymous_may_go(app, path):
    answer = _basic(app, "admin", "Wrong-password-1").get(path, status=401)
    assert answer.json["error"] == "unauthorized"
    assert answer.headers["WWW-Authenticate"].startswith("Basic")


def test_an_unknown_token_is_401_on_the_welcome_route(app):
    client = TestApp(app)
    client.authorization = ("Bearer", "domus_abc123_not-a-real-secret")
    answer = client.get("/api", status=401)
    assert answer.json["error"] == "unauthorized"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_401_on_the_welcome_route(app, api):
    made = _token(api)
    api.delete(f"/api/tokens/{made['id']}")
    client = TestApp(app)
    client.authorization = ("Bearer", made["token"])
    client.get("/api", status=401)


def test_an_ended_session_cookie_is_401_without_a_basic_challenge_and_is_cleared(app, api):
    browser, _ = _session(app)
    api.delete("/api/sessions?user=admin")
    answer = browser.get("/api", status=401)
    assert "WWW-Authenticate" not in answer.headers
    assert "domus_session=;" in answer.headers["Set-Cookie"]
    assert browser.get("/api").json["user"] is None  # the cookie is gone: anonymous again


def test_an_ended_session_on_a_web_page_is_a_401_page_that_drops_the_cookie(app, api):
    browser, _ = _session(app)
    api.delete("/api/sessions?user=admin")
    page = browser.get("/", headers={"Accept": "text/html"}, status=401)
    assert page.content_type == "text/html" and "WWW-Authenticate" not in page.headers
    assert browser.get("/", headers={"Accept": "text/html"}, status=303).location.endswith(
        "/login?next=%2F")


def test_a_stale_cookie_does_not_stop_a_new_login(app):
    browser = TestApp(app)
    browser.set_cookie("domus_session", "0" * 32 + ".stale")
    browser.post_json("/api/session", {"name": "admin", "password": ADMIN_PASSWORD})
    assert browser.get("/api/session").json["user"] == "admin"
    form = TestApp(app)
    form.set_cookie("domus_session", "0" * 32 + ".stale")
    form.post("/login", {"name": "admin", "password": ADMIN_PASSWORD,
                         "csrf_token": _login_page_token(form)}, status=303)


# -- a password change ends the other sessions and tokens -----------------------------------
def test_an_administrator_changing_a_password_ends_all_sessions_and_tokens(app, api, clerk):
    browser, _ = _session(app, "clerk", CLERK_PASSWORD)
    token = _token(_basic(app, "clerk", CLERK_PASSWORD))["token"]
    person = api.get(f"{DIRECTORY}/{clerk['@unid']}").json
    api.put_json(f"{DIRECTORY}/{clerk['@unid']}", {**person, "Password": "Clerk-password-2"})
    browser.get("/api/databases", status=401)
    bearer = TestApp(app)
    bearer.authorization = ("Bearer", token)
    bearer.get("/api/databases", status=401)
    _basic(app, "clerk", "Clerk-password-2").get("/api/databases", status=200)


def test_changing_ones_own_password_ends_every_session_even_the_current_one(app, api):
    current, csrf = _session(app)
    other, _ = _session(app)
    rows = api.get(f"{DIRECTORY}?include_docs=true&limit=1000").json["rows"]
    unid = next(row["@unid"] for row in rows if row.get("UserName") == "admin")
    person = current.get(f"{DIRECTORY}/{unid}").json
    current.put_json(f"{DIRECTORY}/{unid}", {**person, "Password": "Admin-password-2"},
                     headers={"X-CSRF-Token": csrf})
    current.get("/api/databases", status=401)
    other.get("/api/databases", status=401)
    _session(app, "admin", "Admin-password-2")


# -- administrators list and revoke anyone's sessions and tokens ----------------------------
def test_an_administrator_lists_and_revokes_anyones_sessions_without_secrets(app, api, clerk):
    browser, _ = _session(app, "clerk", CLERK_PASSWORD)
    cookie = browser.cookies["domus_session"]
    listed = api.get("/api/sessions?user=clerk").json["sessions"]
    assert len(listed) == 1 and listed[0]["user"] == "clerk"
    assert set(listed[0]) >= {"id", "created", "expires", "address"}
    assert cookie.split(".")[1] not in str(listed)
    api.delete(f"/api/sessions/{listed[0]['id']}")
    browser.get("/api/databases", status=401)
    events = api.get("/api/audit?event=session.revoked").json["events"]
    assert events[0]["user"] == "clerk" and events[0]["by"] == "admin"


def test_an_administrator_ends_all_of_a_users_sessions(app, api, clerk):
    first, _ = _session(app, "clerk", CLERK_PASSWORD)
    second, _ = _session(app, "clerk", CLERK_PASSWORD)
    assert api.delete("/api/sessions?user=clerk").json["ended"] == 2
    first.get("/api/databases", status=401)
    second.get("/api/databases", status=401)


def test_an_administrator_lists_and_revokes_anyones_tokens(app, api, clerk):
    made = _token(_basic(app, "clerk", CLERK_PASSWORD))
    listed = api.get("/api/tokens?user=clerk").json["tokens"]
    assert [entry["id"] for entry in listed] == [made["id"]]
    assert made["token"] not in str(listed)
    api.delete(f"/api/tokens/{made['id']}")
    bearer = TestApp(app)
    bearer.authorization = ("Bearer", made["token"])
    bearer.get("/api/databases", status=401)
    events = api.get("/api/audit?event=token.revoked").json["events"]
    assert events[0]["user"] == "clerk" and events[0]["by"] == "admin"


def test_a_user_may_not_see_or_revoke_anothers_sessions_or_tokens(app, api, clerk):
    admins_token = _token(api)
    _, _ = _session(app)
    clerk_client = _basic(app, "clerk", CLERK_PASSWORD)
    clerk_client.get("/api/sessions?user=admin", status=403)
    clerk_client.get("/api/tokens?user=admin", status=403)
    clerk_client.delete("/api/sessions?user=admin", status=403)
    admin_session = api.get("/api/sessions").json["sessions"][0]["id"]
    clerk_client.delete(f"/api/sessions/{admin_session}", status=404)
    clerk_client.delete(f"/api/tokens/{admins_token['id']}", status=404)
    assert len(api.get("/api/tokens").json["tokens"]) == 1


# -- login CSRF ------------------------------------------------------------------------------
def test_the_login_form_refuses_another_sites_origin(app):
    browser = TestApp(app)
    token = _login_page_token(browser)
    answer = browser.post("/login", {"name": "admin", "password": ADMIN_PASSWORD,
                                     "csrf_token": token},
                          headers={"Origin": "https://evil.example"}, status=403)
    assert "domus_session" not in browser.cookies
    assert "Set-Cookie" not in answer.headers or "domus_session=" not in answer.headers["Set-Cookie"]


def test_the_json_login_refuses_another_sites_origin(app):
    answer = TestApp(app).post_json("/api/session", {"name": "admin", "password": ADMIN_PASSWORD},
                                    headers={"Origin": "https://evil.example"}, status=403)
    assert answer.json["error"] == "bad_origin"


def test_the_login_form_needs_its_pre_session_token(app):
    browser = TestApp(app)
    browser.post("/login", {"name": "admin", "password": ADMIN_PASSWORD}, status=403)
    browser.post("/login", {"name": "admin", "password": ADMIN_PASSWORD, "csrf_token": "forged"},
                 status=403)
    assert "domus_session" not in browser.cookies
    browser.post("/login", {"name": "admin", "password": ADMIN_PASSWORD,
                            "csrf_token": _login_page_token(browser)},
                 headers={"Origin": "http://localhost"}, status=303)
    assert browser.get("/api/session").json["user"] == "admin"


# -- lock-out counts per name and address together -------------------------------------------
def test_an_attacker_elsewhere_cannot_lock_the_administrator_out(app):
    for _ in range(12):
        _basic(app, "admin", "Wrong-guess-1", ATTACKER).get("/api/databases", expect_errors=True)
    assert _basic(app, "admin", "Wrong-guess-1", ATTACKER).get(
        "/api/databases", expect_errors=True).status_int == 429
    _basic(app, "admin", ADMIN_PASSWORD, ADMIN_DESK).get("/api/databases", status=200)
    desk = TestApp(app, extra_environ={"REMOTE_ADDR": ADMIN_DESK})
    desk.post_json("/api/session", {"name": "admin", "password": ADMIN_PASSWORD}, status=200)


def test_the_attackers_own_address_stays_locked_even_with_the_right_password(app):
    for _ in range(4):
        _basic(app, "admin", "Wrong-guess-1", ATTACKER).get("/api/databases", expect_errors=True)
    _basic(app, "admin", ADMIN_PASSWORD, ATTACKER).get("/api/databases", status=429)


def test_an_address_spraying_many_names_is_slowed(app):
    for n in range(25):  # 20 free failures for an address with these settings
        answer = _basic(app, f"user{n}", "Wrong-guess-1", ATTACKER).get("/api/databases",
                                                                       expect_errors=True)
        if answer.status_int == 429:
            break
    assert answer.status_int == 429 and n >= 20
