"""Credentials and their abuse: lock-out, audit, scoped tokens, servers as principals."""
from __future__ import annotations

from datetime import timedelta

import pytest
from webtest import TestApp

from core import tokens
from core.throttle import Limits, LoginThrottle
from tests.conftest import ADMIN_PASSWORD, DOCS

DIRECTORY = "/api/databases/directory/documents"


def _client(app, name: str, password: str) -> TestApp:
    client = TestApp(app, extra_environ={"REMOTE_ADDR": "10.0.0.7"})
    client.authorization = ("Basic", (name, password))
    return client


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_throttle_slows_then_locks_the_pair_and_forgets_after_the_lock():
    clock = Clock()
    throttle = LoginThrottle(Limits(2, 5, 60), Limits(20, 50, 60), Limits(3, None, 60, 4),
                             clock=clock)
    for _ in range(2):
        throttle.failed("ivanova", "10.0.0.1")
    assert throttle.wait_seconds("ivanova", "10.0.0.1") == 0
    throttle.failed("ivanova", "10.0.0.1")
    assert throttle.wait_seconds("ivanova", "10.0.0.1") == pytest.approx(1)  # the pair waits
    assert throttle.wait_seconds("ivanova", "10.0.0.2") == 0  # another address does not
    clock.now += 1
    throttle.failed("ivanova", "10.0.0.1")
    assert throttle.wait_seconds("ivanova", "10.0.0.1") == pytest.approx(2)
    assert throttle.slowdown_seconds("IVANOVA") == pytest.approx(1)  # the name is only slowed
    assert throttle.failed("ivanova", "10.0.0.1") is True  # the fifth failure locks the pair
    assert throttle.wait_seconds("IVANOVA", "10.0.0.1") == pytest.approx(60)
    assert throttle.wait_seconds("ivanova", "10.0.0.2") == 0
    clock.now += 61
    assert throttle.wait_seconds("ivanova", "10.0.0.1") == 0


def test_success_clears_the_pairs_count():
    throttle = LoginThrottle(Limits(1, 3, 60), Limits(10, 30, 60), Limits(10, None, 60),
                             clock=Clock())
    throttle.failed("petrov", None)
    throttle.succeeded("petrov", None)
    throttle.failed("petrov", None)
    assert throttle.wait_seconds("petrov", None) == 0


@pytest.fixture
def settings(tmp_path) -> dict:
    return {"zodbconn.uri": "memory://", "domus.var_dir": str(tmp_path / "var"),
            "domus.login_free_failures": "2", "domus.lockout_failures": "4"}


def test_wrong_passwords_are_slowed_then_locked_even_for_the_right_one(app, api):
    for _ in range(2):
        _client(app, "admin", "wrong-guess").get("/api/databases", status=401)
    slowed = _client(app, "admin", "wrong-guess").get("/api/databases", status=401)
    assert slowed.json["error"] == "unauthorized"
    throttled = _client(app, "admin", ADMIN_PASSWORD).get("/api/databases", status=429)
    assert int(throttled.headers["Retry-After"]) >= 1
    assert "wrong-guess" not in throttled.text


def test_unknown_users_are_counted_like_known_ones(app):
    for _ in range(3):
        answer = _client(app, "nobody", "x" * 10).get("/api/databases", expect_errors=True)
    assert answer.status_int == 401
    assert _client(app, "nobody", "x" * 10).get("/api/databases", expect_errors=True).status_int == 429


def test_the_audit_log_records_logins_failures_and_tokens_without_secrets(app, api):
    _client(app, "admin", "Wrong-password-9").get("/api/databases", status=401)
    token = api.post_json("/api/tokens", {"label": "скрипт"}).json
    bearer = TestApp(app)
    bearer.authorization = ("Bearer", token["token"])
    bearer.get("/api/databases")
    api.delete(f"/api/tokens/{token['id']}")
    bearer.get("/api/databases", status=401)
    events = api.get("/api/audit?limit=100").json["events"]
    kinds = [event["event"] for event in events]
    for kind in ("login.failed", "login.succeeded", "token.created", "token.revoked",
                 "token.rejected"):
        assert kind in kinds
    failed = next(e for e in events if e["event"] == "login.failed")
    assert failed["user"] == "admin" and failed["address"] == "10.0.0.7"
    text = api.get("/api/audit?limit=100").text
    secret = token["token"].split("_", 2)[2]
    for forbidden in (ADMIN_PASSWORD, "Wrong-password-9", secret):
        assert forbidden not in text
    log = app.registry.audit.path.read_text(encoding="utf-8")
    assert secret not in log and ADMIN_PASSWORD not in log


def test_only_administrators_read_the_audit_log(app, api):
    api.post_json(DIRECTORY, {"Form": "Person", "UserName": "clerk", "FullName": "Clerk",
                              "Password": "Clerk-password-1"})
    _client(app, "clerk", "Clerk-password-1").get("/api/audit", status=403)
    api.get("/api/audit?event=bogus", status=400)


def _token(api, **scope) -> dict:
    return api.post_json("/api/tokens", {"label": "t", **scope}, status=201).json


def _bearer(app, token: dict) -> TestApp:
    client = TestApp(app)
    client.authorization = ("Bearer", token["token"])
    return client


def test_a_token_bound_to_one_database_is_refused_on_others(app, api):
    client = _bearer(app, _token(api, database="orders"))
    client.get("/api/databases/orders/documents")
    client.get("/api/databases/documents/documents", status=403)
    assert [d["name"] for d in client.get("/api/databases").json["databases"]] == ["orders"]


def test_a_read_only_token_cannot_write(app, api):
    client = _bearer(app, _token(api, readOnly=True))
    client.get(DOCS)
    client.post_json(DOCS, {"Form": "Memo"}, status=403)
    client.put_json("/api/databases/documents/acl", {"entries": []}, status=403)


def test_tokens_cannot_mint_tokens(app, api):
    client = _bearer(app, _token(api))
    client.post_json("/api/tokens", {"label": "second"}, status=403)


def test_an_expired_token_is_refused(app, api):
    token = _token(api, days=1)
    connection = app.registry.zodb.open()
    try:
        record = connection.root()["domus"].tokens[token["id"]]
        later = tokens.datetime.fromisoformat(record.expires.replace("Z", "+00:00"))
        assert record.expired(later) and not record.expired(later - timedelta(seconds=1))
        record.expires = "2000-01-01T00:00:00.000Z"
        connection.transaction_manager.commit()
    finally:
        connection.close()
    _bearer(app, token).get("/api/databases", status=401)


@pytest.mark.parametrize("body", [
    {"label": ""}, {"label": "x", "database": "nowhere"}, {"label": "x", "readOnly": "yes"},
    {"label": "x", "days": 0}, {"label": "x", "days": 10**6}, ["label"],
])
def test_bad_token_requests_are_refused(api, body):
    api.post_json("/api/tokens", body, status=400)
    assert api.get("/api/tokens").json["tokens"] == []


def test_a_server_logs_in_with_its_credential_and_its_acl_level_limits_it(app, api):
    api.post_json(DIRECTORY, {"Form": "Server", "ServerName": "kzn-vakhitov",
                              "Password": "Server-credential-1"})
    server = _client(app, "kzn-vakhitov", "Server-credential-1")
    assert server.get("/api").json["user"] == "kzn-vakhitov"
    server.get(DOCS, status=200)  # -Default- lets it read
    acl = api.get("/api/databases/documents/acl").json
    acl["entries"].append({"name": "kzn-vakhitov", "type": "server", "level": "reader"})
    api.put_json("/api/databases/documents/acl", acl)
    server.get(DOCS, status=200)
    server.post_json(DOCS, {"Form": "Memo"}, status=403)  # a Reader server only pulls
    acl["entries"][-1]["level"] = "noaccess"
    api.put_json("/api/databases/documents/acl", acl)
    server.get(DOCS, status=403)


def test_a_person_entry_does_not_match_a_server_of_that_name(app, api):
    api.post_json(DIRECTORY, {"Form": "Server", "ServerName": "relay",
                              "Password": "Server-credential-1"})
    acl = api.get("/api/databases/documents/acl").json
    acl["entries"].append({"name": "relay", "type": "person", "level": "manager"})
    api.put_json("/api/databases/documents/acl", acl)
    server = _client(app, "relay", "Server-credential-1")
    assert server.get("/api/databases/documents").json["access"]["level"] == "author"


def test_readers_naming_nobody_are_refused(api):
    answer = api.post_json(DOCS, {"Form": "Memo", "Readers": ["Несуществующая группа"]},
                           status=422)
    assert "Несуществующая группа".casefold() in answer.json["message"]
    api.post_json(DOCS, {"Form": "Memo", "Authors": ["[NoSuchRole]"]}, status=422)
    api.post_json(DOCS, {"Form": "Memo", "Readers": ["admin", "Администраторы", "[Registrar]"]},
                  status=201)


def test_a_password_is_never_returned_or_logged(app, api):
    api.post_json(DIRECTORY, {"Form": "Server", "ServerName": "kzn-2",
                              "Password": "Server-credential-2"})
    text = api.get(f"{DIRECTORY}?include_docs=true&limit=1000").text
    assert "Server-credential-2" not in text
