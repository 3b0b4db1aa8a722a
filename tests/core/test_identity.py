"""Users are Person documents; passwords are hashed and never shown; API tokens."""
from __future__ import annotations

from webtest import TestApp

from core.identity import identity_state
from core.root import server_root

DIRECTORY = "/api/databases/directory/documents"


def _client(app, user, password):
    client = TestApp(app)
    client.authorization = ("Basic", (user, password))
    return client


def _add_person(api, user="ivanova", password="Kazan-2026!"):
    return api.post_json(DIRECTORY, {"Form": "Person", "UserName": user, "FullName": "Иванова А.",
                                     "Password": password}).json


def test_saving_a_person_creates_a_user_who_can_log_in(app, api):
    _add_person(api)
    assert _client(app, "ivanova", "Kazan-2026!").get("/api").json["user"] == "ivanova"
    _client(app, "ivanova", "wrong-password").get("/api/databases", status=401)


def test_user_name_is_matched_without_case(app, api):
    _add_person(api)
    _client(app, "IVANOVA", "Kazan-2026!").get("/api/databases", status=200)


def test_password_is_never_returned_by_any_path(app, api):
    person = _add_person(api)
    unid = person["@unid"]
    texts = [
        api.get(f"{DIRECTORY}/{unid}").text,
        api.get(f"{DIRECTORY}/{unid}/history").text,
        api.get(f"{DIRECTORY}/{unid}/history/{person['@rev']}").text,
        api.get(DIRECTORY, {"include_docs": "true"}).text,
        api.get("/api/databases/directory/changes").text,
    ]
    for text in texts:
        assert "Kazan-2026!" not in text
        assert "argon2" not in text
        assert '"Password"' not in text


def test_password_is_stored_as_an_argon2_hash(app, api):
    person = _add_person(api)
    connection = app.registry.zodb.open()
    try:
        directory = server_root(connection).get_database("directory")
        stored = identity_state(directory).credentials[person["@unid"]]
    finally:
        connection.close()
    assert stored.startswith("$argon2")
    assert "Kazan-2026!" not in stored


def test_changing_the_password_invalidates_the_old_one(app, api):
    person = _add_person(api)
    user = _client(app, "ivanova", "Kazan-2026!")
    user.get("/api/databases")
    api.put_json(f"{DIRECTORY}/{person['@unid']}",
                 {"Form": "Person", "UserName": "ivanova", "Password": "New-password-1"},
                 headers={"If-Match": person["@rev"]})
    user.get("/api/databases", status=401)
    _client(app, "ivanova", "New-password-1").get("/api/databases")


def test_editing_a_person_without_password_keeps_the_password(app, api):
    person = _add_person(api)
    api.put_json(f"{DIRECTORY}/{person['@unid']}",
                 {"Form": "Person", "UserName": "ivanova", "FullName": "Иванова А. Б."},
                 headers={"If-Match": person["@rev"]})
    _client(app, "ivanova", "Kazan-2026!").get("/api/databases")


def test_deleting_a_person_ends_their_login(app, api):
    person = _add_person(api)
    api.delete(f"{DIRECTORY}/{person['@unid']}", headers={"If-Match": person["@rev"]})
    _client(app, "ivanova", "Kazan-2026!").get("/api/databases", status=401)


def test_renaming_a_person_moves_the_login(app, api):
    person = _add_person(api)
    api.put_json(f"{DIRECTORY}/{person['@unid']}", {"Form": "Person", "UserName": "petrova"},
                 headers={"If-Match": person["@rev"]})
    _client(app, "ivanova", "Kazan-2026!").get("/api/databases", status=401)
    _client(app, "petrova", "Kazan-2026!").get("/api/databases")


def test_taken_user_name_is_422(api):
    _add_person(api)
    answer = api.post_json(DIRECTORY, {"Form": "Person", "UserName": "Ivanova"}, status=422).json
    assert answer["errors"][0]["item"] == "UserName"


def test_short_password_is_422(api):
    answer = api.post_json(DIRECTORY, {"Form": "Person", "UserName": "x", "Password": "short"},
                           status=422).json
    assert answer["errors"][0]["item"] == "Password"


def test_person_without_user_name_is_422(api):
    api.post_json(DIRECTORY, {"Form": "Person", "FullName": "Без имени"}, status=422)


def test_every_write_records_the_principal(app, api):
    _add_person(api)
    user = _client(app, "ivanova", "Kazan-2026!")
    created = user.post_json("/api/databases/documents/documents", {"Subject": "x"}).json
    document = api.get(f"/api/databases/documents/documents/{created['@unid']}").json
    assert document["@updatedBy"] == "ivanova"


def test_token_is_shown_once_and_authenticates_as_its_owner(app, api):
    _add_person(api)
    user = _client(app, "ivanova", "Kazan-2026!")
    token = user.post_json("/api/tokens", {"label": "планшет"}, status=201).json
    assert token["token"].startswith("domus_")
    listed = user.get("/api/tokens").json["tokens"]
    assert listed == [{key: value for key, value in token.items() if key != "token"}]
    assert listed[0]["database"] is None and listed[0]["readOnly"] is False
    assert listed[0]["expires"] > listed[0]["created"]
    bearer = TestApp(app)
    bearer.authorization = ("Bearer", token["token"])
    assert bearer.get("/api").json["user"] == "ivanova"


def test_revoked_token_no_longer_works(app, api):
    token = api.post_json("/api/tokens", {"label": "ci"}).json
    bearer = TestApp(app)
    bearer.authorization = ("Bearer", token["token"])
    bearer.get("/api/databases")
    api.delete(f"/api/tokens/{token['id']}")
    bearer.get("/api/databases", status=401)


def test_token_with_wrong_secret_is_401(app, api):
    token = api.post_json("/api/tokens", {"label": "ci"}).json
    bearer = TestApp(app)
    bearer.authorization = ("Bearer", token["token"][:-2] + "xx")
    bearer.get("/api/databases", status=401)


def test_a_user_cannot_revoke_another_users_token(app, api):
    _add_person(api)
    token = api.post_json("/api/tokens", {"label": "admin's"}).json
    _client(app, "ivanova", "Kazan-2026!").delete(f"/api/tokens/{token['id']}", status=404)


def test_token_secret_is_not_stored(app, api):
    token = api.post_json("/api/tokens", {"label": "ci"}).json
    connection = app.registry.zodb.open()
    try:
        record = server_root(connection).tokens[token["id"]]
        assert token["token"].split("_", 2)[2] not in repr(vars(record))
    finally:
        connection.close()
