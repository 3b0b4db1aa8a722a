"""Database ACLs: the rules of effective access, the checks on a new ACL, the API."""
from __future__ import annotations

import json

import pytest
from webtest import TestApp

from core.acl import AUTHOR, EDITOR, MANAGER, NOACCESS, READER, effective_access, parse_acl

ROLES = ["[Registrar]", "[Controller]"]
DB = "/api/databases/documents"


def _acl(*entries) -> dict:
    base = [{"name": "-Default-", "type": "unspecified", "level": "reader"},
            {"name": "Anonymous", "type": "unspecified", "level": "noaccess"},
            {"name": "Администраторы", "type": "group", "level": "manager"}]
    return parse_acl({"entries": base + list(entries), "roles": ROLES})


def test_highest_level_among_own_entry_and_groups_wins_and_roles_are_united():
    acl = _acl(
        {"name": "ivanova", "type": "person", "level": "author", "roles": ["[Registrar]"],
         "canCreate": True},
        {"name": "Канцелярия", "type": "group", "level": "editor", "roles": ["[Controller]"]},
    )
    access = effective_access(acl, {"ivanova", "канцелярия"})
    assert access.level == EDITOR
    assert access.roles == {"[Registrar]", "[Controller]"}
    assert access.may_create


def test_default_applies_only_when_no_entry_names_the_principal():
    acl = _acl({"name": "petrov", "type": "person", "level": "noaccess"})
    assert effective_access(acl, {"petrov"}).level == NOACCESS  # not lifted by -Default-
    assert effective_access(acl, {"sidorov"}).level == READER
    assert effective_access(acl, None).level == NOACCESS  # Anonymous


def test_anonymous_falls_back_to_default_when_there_is_no_anonymous_entry():
    acl = parse_acl({"entries": [{"name": "-Default-", "level": "author"},
                                 {"name": "admin", "level": "manager"}], "roles": []})
    assert effective_access(acl, None).level == AUTHOR


def test_person_and_server_entries_match_only_their_kind():
    acl = _acl({"name": "kzn-main", "type": "server", "level": "manager"},
               {"name": "ivanova", "type": "server", "level": "manager"})
    assert effective_access(acl, {"kzn-main"}, "server").level == MANAGER
    assert effective_access(acl, {"kzn-main"}, "person").level == READER
    assert effective_access(acl, {"ivanova"}, "person").level == READER


def test_names_compare_without_case():
    acl = _acl({"name": "Ivanova", "type": "person", "level": "editor"})
    assert effective_access(acl, {"ivanova"}).level == EDITOR


@pytest.mark.parametrize("change, complaint", [
    ({"level": "superuser"}, "level must be one of"),
    ({"type": "robot"}, "type must be one of"),
    ({"roles": ["[Unknown]"]}, "is not among the database's roles"),
    ({"roles": "[Registrar]"}, "roles must be a list"),
    ({"canDelete": "yes"}, "canDelete must be true or false"),
    ({"name": ""}, "name must be a non-empty string"),
    ({"extra": 1}, "unknown keys"),
])
def test_bad_entries_are_refused_with_the_reason(change, complaint):
    entry = {"name": "ivanova", "type": "person", "level": "author", **change}
    with pytest.raises(Exception) as caught:
        _acl(entry)
    assert complaint in str(caught.value)


def test_an_acl_must_keep_default_a_manager_and_unique_names():
    with pytest.raises(Exception, match="-Default-"):
        parse_acl({"entries": [{"name": "admin", "level": "manager"}], "roles": []})
    with pytest.raises(Exception, match="Manager"):
        parse_acl({"entries": [{"name": "-Default-", "level": "editor"}], "roles": []})
    with pytest.raises(Exception, match="listed twice"):
        _acl({"name": "ivanova", "level": "author"}, {"name": "IVANOVA", "level": "reader"})
    with pytest.raises(Exception, match="in brackets"):
        parse_acl({"entries": [], "roles": ["Registrar"]})


def test_manager_reads_and_replaces_the_acl(api):
    acl = api.get(f"{DB}/acl").json
    assert {"name": "Администраторы", "type": "group", "level": "manager"}.items() <= next(
        e for e in acl["entries"] if e["name"] == "Администраторы").items()
    acl["entries"].append({"name": "petrov", "type": "person", "level": "editor", "roles": []})
    api.put_json(f"{DB}/acl", acl)
    stored = api.get(f"{DB}/acl").json
    assert any(e["name"] == "petrov" and e["level"] == "editor" for e in stored["entries"])


def test_a_bad_acl_changes_nothing(api):
    before = api.get(f"{DB}/acl").json
    answer = api.put_json(f"{DB}/acl", {"entries": [{"name": "x", "level": "boss"}]}, status=422)
    assert answer.json["error"] == "validation_failed"
    api.put(f"{DB}/acl", "{not json", content_type="application/json", status=400)
    assert api.get(f"{DB}/acl").json == before


def _person(api, name: str, password: str = "Person-password-1") -> TestApp:
    api.post_json("/api/databases/directory/documents",
                  {"Form": "Person", "UserName": name, "FullName": name, "Password": password})
    client = TestApp(api.app)
    client.authorization = ("Basic", (name, password))
    return client


def test_a_user_cannot_raise_their_own_level(api):
    clerk = _person(api, "clerk")  # an Author through -Default-
    acl = api.get(f"{DB}/acl").json
    clerk.get(f"{DB}/acl", status=403)
    raised = {**acl, "entries": acl["entries"] + [{"name": "clerk", "level": "manager"}]}
    clerk.put_json(f"{DB}/acl", raised, status=403)
    assert api.get(f"{DB}/acl").json == acl
    assert clerk.get(DB).json["access"]["level"] == "author"


def test_acl_changes_are_audited_with_before_and_after(api):
    acl = api.get(f"{DB}/acl").json
    acl["entries"].append({"name": "petrov", "level": "reader"})
    api.put_json(f"{DB}/acl", acl)
    events = api.get("/api/audit?event=acl.changed").json["events"]
    assert events[0]["user"] == "admin" and events[0]["database"] == "documents"
    assert "petrov" in json.dumps(events[0]["after"]) and "petrov" not in json.dumps(events[0]["before"])


def test_effective_access_follows_nested_groups(api):
    clerk = _person(api, "clerk")
    directory = "/api/databases/directory/documents"
    api.post_json(directory, {"Form": "Group", "ListName": "Регистраторы", "Members": ["clerk"]})
    api.post_json(directory, {"Form": "Group", "ListName": "Канцелярия", "Members": ["Регистраторы"]})
    access = clerk.get(DB).json["access"]  # Канцелярия is an Editor with [Registrar] in the template
    assert access["level"] == "editor" and access["roles"] == ["[Registrar]"]


def test_a_group_that_would_contain_itself_is_refused(api):
    directory = "/api/databases/directory/documents"
    api.post_json(directory, {"Form": "Group", "ListName": "A", "Members": ["B"]})
    b = api.post_json(directory, {"Form": "Group", "ListName": "B", "Members": ["C"]}).json
    answer = api.post_json(directory, {"Form": "Group", "ListName": "C", "Members": ["a"]},
                           status=422)
    assert "may not loop" in answer.json["message"]
    api.put_json(f"{directory}/{b['@unid']}", {"Form": "Group", "ListName": "B", "Members": ["B"]},
                 headers={"If-Match": b["@rev"]}, status=422)


def test_a_loop_that_arrives_anyway_ends_the_walk(api, app):
    """Replication may bring a loop validation never saw: resolution must still end."""
    from core.identity import DIRECTORY, names_of
    from core.root import server_root

    directory_url = "/api/databases/directory/documents"
    api.post_json(directory_url, {"Form": "Group", "ListName": "A", "Members": ["clerk", "B"]})
    api.post_json(directory_url, {"Form": "Group", "ListName": "B", "Members": []})
    connection = app.registry.zodb.open()
    try:
        directory = server_root(connection).get_database(DIRECTORY)
        state = directory.annotations["identity"]
        state.member_of["a"] = type(state.member_of["clerk"])(["b"])  # B now inside A inside B
        assert names_of(directory, "clerk") == {"clerk", "a", "b"}
    finally:
        connection.transaction_manager.abort()
        connection.close()
