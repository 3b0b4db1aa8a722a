"""The one write door: revisions pushed to ``_bulk_docs`` pass what an API write passes.

A delegated user administrator (Author with create in the directory, author of
his own Person document) tries what issue 13 found: a second group
``Администраторы`` naming himself, his Person renamed to ``admin``, a Person
revision carrying a clear-text password.  Each is refused per document as
``forbidden``, recorded in the audit log, and changes nothing, while the other
documents of the same request are applied.  Authorship and dates travel only
with a server identity; a revision that claims to be Domus-made must carry the
id of its content.
"""
from __future__ import annotations

import uuid
import zipfile

import pytest
from webtest import TestApp

from core import revisions
from core.exceptions import ValidationFailed
from core.identity import ADMINISTRATORS
from core.initialise import add_server
from core.transfer import export_database, import_database
from tests.conftest import ADMIN_PASSWORD, basic_client, memory_app

PASSWORD = "Door-password-1"
DIRECTORY = "/api/databases/directory"
DELEGATE = "deleg"
SERVER = "site-b"
OLD_TIME = "2001-09-09T01:46:40.000Z"


def _client(app, name: str, password: str = PASSWORD) -> TestApp:
    return basic_client(app, name, password)


@pytest.fixture(scope="module")
def door(tmp_path_factory):
    """One application: the administrator, the delegate, a reader and a server identity."""
    with memory_app(tmp_path_factory.mktemp("var")) as (app, zodb):
        admin = _client(app, "admin", ADMIN_PASSWORD)
        person = admin.post_json(f"{DIRECTORY}/documents", {
            "Form": "Person", "UserName": DELEGATE, "FullName": "Делегат", "Password": PASSWORD}).json
        admin.put_json(f"{DIRECTORY}/documents/{person['@unid']}", {
            "Form": "Person", "UserName": DELEGATE, "FullName": "Делегат", "Authors": [DELEGATE]},
            headers={"If-Match": person["@rev"]})
        admin.post_json(f"{DIRECTORY}/documents", {"Form": "Person", "UserName": "reader",
                                                   "Password": PASSWORD})
        acl = admin.get(f"{DIRECTORY}/acl").json
        acl["entries"].append({"name": DELEGATE, "type": "person", "level": "author", "roles": [],
                               "canCreate": True, "canDelete": False})
        admin.put_json(f"{DIRECTORY}/acl", acl)
        add_server(zodb, app.registry.pm, SERVER, PASSWORD)
        yield {"app": app, "zodb": zodb, "admin": admin, "delegate": _client(app, DELEGATE),
               "server": _client(app, SERVER), "person": person["@unid"]}


def _push(client: TestApp, database: str, *docs: dict, status: int = 201) -> list:
    return client.post_json(f"/replication/{database}/_bulk_docs",
                            {"docs": list(docs), "new_edits": False}, status=status).json


def _unid() -> str:
    return uuid.uuid4().hex.upper()


def _domus_made(items: dict, parent: str | None = None, **meta: str) -> dict:
    """A revision as Domus makes it: its id is its content's hash, with ``$`` metadata."""
    rev = revisions.make_rev(parent, False, items, {})
    doc = {"_id": _unid(), "_rev": rev, **items, **meta}
    if parent:
        doc["_revisions"] = {"start": revisions.parse_rev(rev)[0],
                             "ids": [revisions.parse_rev(rev)[1], revisions.parse_rev(parent)[1]]}
    return doc


def _edit_of(client: TestApp, database: str, unid: str, **changes: object) -> dict:
    """The next revision of a document as a PouchDB peer would push it (no Domus metadata)."""
    current = client.get(f"/replication/{database}/{unid}?revs=true").json
    body = {k: v for k, v in current.items() if not k.startswith(("$", "_"))}
    body.update(changes)
    generation, digest = revisions.parse_rev(current["_rev"])
    new = uuid.uuid4().hex
    return {"_id": unid, "_rev": f"{generation + 1}-{new}", **body,
            "_revisions": {"start": generation + 1, "ids": [new, digest]}}


def _refused(answer: list, doc: dict) -> dict:
    assert len(answer) == 1, answer
    entry = answer[0]
    assert (entry["id"], entry["rev"], entry["error"]) == (doc["_id"], doc["_rev"], "forbidden")
    return entry


def test_pushed_second_group_administrators_naming_the_pusher_is_forbidden(door):
    group = {"_id": _unid(), "_rev": "1-" + uuid.uuid4().hex, "Form": "Group",
             "ListName": ADMINISTRATORS, "Members": [DELEGATE]}
    entry = _refused(_push(door["delegate"], "directory", group), group)
    assert "taken" in entry["reason"]
    door["admin"].get(f"{DIRECTORY}/documents/{group['_id']}", status=404)
    door["delegate"].get("/api/audit", status=403)  # not a Manager of the directory


def test_pushed_edit_of_group_administrators_by_its_non_author_is_forbidden(door):
    groups = door["admin"].get(f"{DIRECTORY}/documents?limit=1000&include_docs=true").json
    unid = next(row["@unid"] for row in groups["rows"] if row.get("ListName") == ADMINISTRATORS)
    edit = _edit_of(door["delegate"], "directory", unid, Members=["admin", DELEGATE])
    _refused(_push(door["delegate"], "directory", edit), edit)
    door["delegate"].get("/api/audit", status=403)


def test_pushed_rename_of_own_person_to_admin_is_forbidden(door):
    edit = _edit_of(door["delegate"], "directory", door["person"], UserName="admin")
    entry = _refused(_push(door["delegate"], "directory", edit), edit)
    assert "taken" in entry["reason"]
    _client(door["app"], "admin", ADMIN_PASSWORD).get("/api/databases", status=200)
    _client(door["app"], "admin", PASSWORD).get("/api/databases", status=401)
    assert door["admin"].get(f"{DIRECTORY}/documents/{door['person']}").json["UserName"] == DELEGATE


def test_pushed_person_revision_with_a_password_is_forbidden_and_never_stored(door):
    clear = "Clear-text-password-77"
    edit = _edit_of(door["delegate"], "directory", door["person"], Password=clear)
    entry = _refused(_push(door["delegate"], "directory", edit), edit)
    assert "never replicated" in entry["reason"]
    _client(door["app"], DELEGATE, clear).get("/api/databases", status=401)
    door["delegate"].get("/api/databases", status=200)
    every = door["admin"].get(f"/replication/directory/{door['person']}?open_revs=all&revs=true")
    history = door["admin"].get(f"{DIRECTORY}/documents/{door['person']}/history")
    assert clear not in every.text and clear not in history.text


def test_pushed_authorship_and_dates_of_a_person_are_replaced_by_the_pusher_and_arrival(door):
    doc = _domus_made({"Form": "Memo", "Subject": "Подложная дата"},
                      **{"$UpdatedBy": "boss", "$Modified": OLD_TIME, "$Created": OLD_TIME})
    assert _push(door["delegate"], "documents", doc) == []
    stored = door["admin"].get(f"/api/databases/documents/documents/{doc['_id']}").json
    assert stored["@updatedBy"] == DELEGATE
    assert stored["@modified"] > OLD_TIME and stored["@created"] > OLD_TIME


def test_pushed_authorship_and_dates_from_a_server_identity_are_kept(door):
    doc = _domus_made({"Form": "Memo", "Subject": "С другого сервера"},
                      **{"$UpdatedBy": "boss", "$Modified": OLD_TIME, "$Created": OLD_TIME})
    assert _push(door["server"], "documents", doc) == []
    stored = door["admin"].get(f"/api/databases/documents/documents/{doc['_id']}").json
    assert (stored["@updatedBy"], stored["@modified"], stored["@created"]) == ("boss", OLD_TIME, OLD_TIME)


@pytest.mark.parametrize("who", ["delegate", "server"])
def test_domus_revision_whose_id_does_not_match_its_content_is_forbidden(door, who):
    first = _domus_made({"Form": "Memo", "Subject": "Первая"}, **{"$Modified": OLD_TIME})
    forged = {**first, "_id": _unid(), "Subject": "Подменённая"}
    entry = _refused(_push(door[who], "documents", forged), forged)
    assert entry["reason"] == "revision id does not match its content"
    door["admin"].get(f"/api/databases/documents/documents/{forged['_id']}", status=404)


def test_domus_edit_whose_id_does_not_match_its_content_is_forbidden(door):
    first = _domus_made({"Form": "Memo", "Subject": "Первая", "Authors": [DELEGATE]},
                        **{"$Modified": OLD_TIME})
    assert _push(door["delegate"], "documents", first) == []
    second = _domus_made({"Form": "Memo", "Subject": "Вторая", "Authors": [DELEGATE]}, parent=first["_rev"],
                         **{"$Modified": OLD_TIME})
    forged = {**second, "_id": first["_id"], "Subject": "Подменённая"}
    _refused(_push(door["delegate"], "documents", forged), forged)
    honest = {**second, "_id": first["_id"]}
    assert _push(door["delegate"], "documents", honest) == []


def test_pouchdb_revision_without_domus_metadata_is_accepted_as_it_is(door):
    doc = {"_id": _unid(), "_rev": "1-" + uuid.uuid4().hex, "Form": "Memo", "Subject": "Из PouchDB"}
    assert _push(door["delegate"], "documents", doc) == []
    stored = door["admin"].get(f"/replication/documents/{doc['_id']}").json
    assert stored["_rev"] == doc["_rev"] and "$Modified" not in stored


def test_refusal_is_reported_per_document_audited_and_the_others_are_applied(door):
    good = {"_id": _unid(), "_rev": "1-" + uuid.uuid4().hex, "Form": "Group", "ListName": "Друзья",
            "Members": [DELEGATE]}
    bad = {"_id": _unid(), "_rev": "1-" + uuid.uuid4().hex, "Form": "Person", "UserName": "admin"}
    answer = _push(door["delegate"], "directory", good, bad)
    _refused(answer, bad)
    door["admin"].get(f"{DIRECTORY}/documents/{good['_id']}", status=200)
    door["admin"].get(f"{DIRECTORY}/documents/{bad['_id']}", status=404)
    events = door["admin"].get("/api/audit?event=replication.refused&limit=100").json["events"]
    event = next(e for e in events if e["id"] == bad["_id"])
    assert (event["user"], event["database"], event["rev"]) == (DELEGATE, "directory", bad["_rev"])
    assert "UserName" in event["reason"] and "admin" not in event["reason"]


def test_import_refuses_a_revision_that_an_api_write_would_refuse(door, tmp_path):
    door["admin"].post_json("/api/databases/documents/documents",
                            {"Form": "Memo", "Subject": "Экспорт", "Readers": ["admin"]})
    exported, tampered = tmp_path / "documents.zip", tmp_path / "tampered.zip"
    export_database(door["zodb"], "documents", exported)
    with zipfile.ZipFile(exported) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "documents.jsonl":
                data = data.replace(b'"Readers":["admin"]', b'"Readers":["nobody-at-all"]')
            target.writestr(info, data)
    with pytest.raises(ValidationFailed, match="nobody-at-all"):
        import_database(door["zodb"], door["app"].registry.pm, tampered, "imported")
    door["admin"].get("/api/databases/imported", status=404)
