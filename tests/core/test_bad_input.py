"""Bad input gets a clear JSON error and changes nothing."""
from __future__ import annotations

import pytest

from tests.conftest import DOCS


def _unchanged(api, seq_before):
    info = api.get("/api/databases/documents").json
    assert info["updateSeq"] == seq_before


@pytest.fixture
def seq_before(api, memo):
    return api.get("/api/databases/documents").json["updateSeq"]


def test_malformed_json_is_400_with_position(api, seq_before):
    answer = api.post(DOCS, '{"Subject": "x",', content_type="application/json", status=400).json
    assert answer["error"] == "invalid_json"
    assert "line 1" in answer["message"]
    _unchanged(api, seq_before)


def test_wrong_content_type_is_415(api, seq_before):
    answer = api.post(DOCS, '{"Subject": "x"}', content_type="text/plain", status=415).json
    assert answer["error"] == "unsupported_media_type"
    _unchanged(api, seq_before)


def test_body_over_the_limit_is_413(app, api, seq_before):
    app.registry.settings["domus.max_json_bytes"] = 1000
    api.post_json(DOCS, {"Body": "я" * 2000}, status=413)
    _unchanged(api, seq_before)


def test_not_utf8_is_400(api, seq_before):
    api.post(DOCS, '{"Subject": "\xff"}'.encode("latin-1"), content_type="application/json", status=400)
    _unchanged(api, seq_before)


def test_nan_is_not_json(api, seq_before):
    api.post(DOCS, '{"N": NaN}', content_type="application/json", status=400)
    _unchanged(api, seq_before)


@pytest.mark.parametrize("name", ["@secret", "_id", "$Ref", "", "1abc", "a b", "a/b"])
def test_reserved_or_malformed_item_names_are_400(api, seq_before, name):
    answer = api.post_json(DOCS, {name: "x"}, status=400).json
    assert answer["error"] == "invalid_item"
    _unchanged(api, seq_before)


@pytest.mark.parametrize("body", ["just a string", 42, None, [[1]]])
def test_non_object_documents_are_400(api, seq_before, body):
    api.post_json(DOCS, body, status=400)
    _unchanged(api, seq_before)


def test_nesting_too_deep_is_400(api, seq_before):
    value: object = "x"
    for _ in range(40):
        value = [value]
    api.post_json(DOCS, {"Deep": value}, status=400)
    _unchanged(api, seq_before)


def test_json_nested_beyond_the_parser_is_400(api, seq_before):
    api.post(DOCS, "[" * 100000 + "]" * 100000, content_type="application/json", status=400)
    _unchanged(api, seq_before)


def test_unknown_database_is_404_json(api):
    answer = api.get("/api/databases/nope/documents", status=404).json
    assert answer == {"error": "not_found", "message": "no database named 'nope'"}


def test_unknown_document_is_404_json(api):
    answer = api.get(f"{DOCS}/{'0' * 32}", status=404).json
    assert answer["error"] == "not_found"


def test_unknown_path_is_404_json(api):
    assert api.get("/api/nothing/here", status=404).json["error"] == "not_found"


def test_wrong_method_is_405_json(api):
    assert api.patch("/api/databases", status=405).json["error"] == "method_not_allowed"


def test_bad_query_parameter_is_400(api):
    assert "limit" in api.get(DOCS, {"limit": "many"}, status=400).json["message"]
    api.get(DOCS, {"limit": "100000"}, status=400)
    api.get("/api/databases/documents/changes", {"since": "-1"}, status=400)
    api.get("/api/databases/documents/changes", {"feed": "continuous"}, status=400)


def test_anonymous_gets_401_with_basic_challenge_on_every_path(anonymous, api, memo):
    unid = memo["@unid"]
    for method, url in [
        ("GET", "/api/databases"),
        ("GET", "/api/databases/documents"),
        ("GET", DOCS),
        ("POST", DOCS),
        ("GET", f"{DOCS}/{unid}"),
        ("PUT", f"{DOCS}/{unid}"),
        ("DELETE", f"{DOCS}/{unid}"),
        ("GET", f"{DOCS}/{unid}/responses"),
        ("GET", f"{DOCS}/{unid}/history"),
        ("GET", f"{DOCS}/{unid}/history/{memo['@rev']}"),
        ("POST", f"{DOCS}/{unid}/restore"),
        ("GET", f"{DOCS}/{unid}/attachments/a.txt"),
        ("PUT", f"{DOCS}/{unid}/attachments/a.txt"),
        ("GET", "/api/databases/documents/changes"),
        ("GET", "/api/plugins"),
        ("GET", "/api/tokens"),
    ]:
        response = anonymous.request(url, method=method, status=401, expect_errors=True)
        assert response.json["error"] == "unauthorized", (method, url)
        assert response.headers["WWW-Authenticate"].startswith("Basic"), (method, url)
        assert "Subject" not in response.text


def test_wrong_password_is_401(app):
    from webtest import TestApp

    client = TestApp(app)
    client.authorization = ("Basic", ("admin", "wrong-password"))
    client.get("/api/databases", status=401)


def test_malformed_authorization_header_is_401(anonymous):
    anonymous.get("/api/databases", headers={"Authorization": "Basic %%%"}, status=401)
    anonymous.get("/api/databases", headers={"Authorization": "Bearer nonsense"}, status=401)


def test_creating_a_database_with_a_bad_name_is_400(api):
    for name in ["Documents", "../x", "", "a" * 80, 5]:
        api.post_json("/api/databases", {"name": name, "template": "documents"}, status=400)


def test_creating_a_database_from_an_unknown_template_is_404(api):
    api.post_json("/api/databases", {"name": "x", "template": "nope"}, status=404)


def test_creating_an_existing_database_is_409(api):
    api.post_json("/api/databases", {"name": "documents", "template": "documents"}, status=409)


def test_errors_never_carry_a_traceback(api, app, monkeypatch):
    from core.api import documents

    def explode(context, request):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(documents, "written", explode)
    answer = api.post_json(DOCS, {"Subject": "x"}, status=500).json
    assert answer == {"error": "internal_error", "message": "an unexpected error occurred; it was logged"}
    assert api.get("/api/databases/documents").json["documents"] == 0  # the write was rolled back
