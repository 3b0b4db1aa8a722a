"""The ``/replication/{db}`` endpoint through WebTest: the protocol, bad input and the gate."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pyramid.request import Request
from webtest import TestApp

from core.groupcommit import is_reading
from core.maintenance import purge_stubs
from core.root import server_root
from tests.conftest import DOCS

R = "/replication/documents"
PASSWORD = "Replica-password-1"
HASH = "0123456789abcdef0123456789abcdef"


def raw(client: TestApp, method: str, path: str, **kw):
    """A request whose raw path (REQUEST_URI, as waitress gives it) keeps its percent-encoding."""
    environ = {**kw.pop("extra_environ", {}), "REQUEST_URI": path}
    return getattr(client, method)(path, extra_environ=environ, **kw)


def push(client: TestApp, docs: list[dict], status: int = 201, database: str = "documents"):
    return client.post_json(f"/replication/{database}/_bulk_docs",
                            {"docs": docs, "new_edits": False}, status=status)


def _user(app, api, name: str, level: str) -> TestApp:
    api.post_json("/api/databases/directory/documents",
                  {"Form": "Person", "UserName": name, "FullName": name, "Password": PASSWORD})
    acl = api.get("/api/databases/documents/acl").json
    acl["entries"].append({"name": name, "type": "person", "level": level, "roles": [],
                           "canCreate": level != "reader", "canDelete": level == "editor"})
    api.put_json("/api/databases/documents/acl", acl)
    client = TestApp(app)
    client.authorization = ("Basic", (name, PASSWORD))
    return client


def test_welcome_names_a_stable_server_uuid(api, anonymous):
    first = anonymous.get("/replication/").json
    assert first["couchdb"] == "Welcome" and len(first["uuid"]) == 32
    assert api.get("/replication").json["uuid"] == first["uuid"] == api.get("/api").json["server_uuid"]


def test_database_info_and_a_missing_database_answer_json(api):
    info = api.get(R).json
    assert info["db_name"] == "documents" and info["update_seq"] == 0
    missing = api.get("/replication/nowhere", status=404).json
    assert missing == {"error": "not_found", "reason": "Database does not exist."}


def test_put_creates_an_empty_replica_once(api):
    api.put("/replication/site12?replica_id=00112233AABBCCDD", status=201)
    assert api.get("/replication/site12").json["domus"]["replicaId"] == "00112233AABBCCDD"
    assert api.put("/replication/site12", status=412).json["error"] == "file_exists"
    api.put("/replication/bad?replica_id=xyz", status=400)
    api.put("/replication/Bad%20Name", status=400)


def test_only_administrators_create_databases(app, api):
    reader = _user(app, api, "reader1", "reader")
    reader.put("/replication/mine", status=403)
    TestApp(app).put("/replication/mine", status=401)


def test_changes_lists_every_leaf_with_style_all_docs(api, memo):
    push(api, [{"_id": memo["@unid"], "_rev": f"2-{HASH}", "Form": "Memo", "Subject": "там",
                "_revisions": {"start": 2, "ids": [HASH, memo["@rev"].split("-")[1]]}}])
    rev2 = api.get(f"{DOCS}/{memo['@unid']}").json["@rev"]
    row = api.get(f"{R}/_changes?style=all_docs&since=0").json["results"][0]
    assert row["changes"][0] == {"rev": rev2} and len(row["changes"]) == 1
    updated = api.put_json(f"{DOCS}/{memo['@unid']}", {"Form": "Memo", "Subject": "здесь"},
                           headers={"If-Match": rev2}).json
    assert api.get(f"{R}/_changes?since=0").json["results"][0]["changes"] == [{"rev": updated["@rev"]}]
    assert api.get(f"{R}/_changes?since=3&limit=5").json == {"results": [], "last_seq": 3}
    api.get(f"{R}/_changes?since=forever", status=400)
    api.get(f"{R}/_changes?feed=continuous", status=400)


def test_longpoll_returns_at_once_when_something_changed_and_times_out_otherwise(api, memo):
    assert len(api.get(f"{R}/_changes?feed=longpoll&since=0&timeout=5000").json["results"]) == 1
    assert api.get(f"{R}/_changes?feed=longpoll&since=1&timeout=200").json["results"] == []


def test_bulk_docs_grafts_a_conflict_and_is_idempotent(api, memo):
    parent = memo["@rev"].split("-")[1]
    branch = {"_id": memo["@unid"], "_rev": f"2-{HASH}", "Form": "Memo", "Subject": "на площадке",
              "_revisions": {"start": 2, "ids": [HASH, parent]}}
    mine = api.put_json(f"{DOCS}/{memo['@unid']}", {"Form": "Memo", "Subject": "у нас"},
                        headers={"If-Match": memo["@rev"]}).json
    assert push(api, [branch]).json == []
    assert push(api, [branch]).json == []  # the same batch again: nothing changes, no 409
    shown = api.get(f"{DOCS}/{memo['@unid']}").json
    winner = max(mine["@rev"], branch["_rev"])
    assert shown["@rev"] == winner and shown["@conflicts"] == [min(mine["@rev"], branch["_rev"])]
    assert api.get(f"{R}/_changes?style=all_docs").json["results"][0]["changes"][0] == {"rev": winner}


def test_revs_diff_lists_only_what_is_missing(api, memo):
    answer = api.post_json(f"{R}/_revs_diff", {memo["@unid"]: [memo["@rev"], f"2-{HASH}"],
                                               "elsewhere": [f"1-{HASH}"]}).json
    assert answer == {memo["@unid"]: {"missing": [f"2-{HASH}"], "possible_ancestors": [memo["@rev"]]},
                      "elsewhere": {"missing": [f"1-{HASH}"]}}
    assert api.post_json(f"{R}/_revs_diff", {memo["@unid"]: [memo["@rev"]]}).json == {}
    api.post_json(f"{R}/_revs_diff", {memo["@unid"]: ["forged"]}, status=400)


def test_ancestors_known_by_id_are_not_missing_and_not_conflicts(api):
    path = [f"{n}-{HASH[:-1]}{n}" for n in (3, 2, 1)]
    push(api, [{"_id": "site-doc", "_rev": path[0], "Subject": "третья",
                "_revisions": {"start": 3, "ids": [r.split("-")[1] for r in path]}}])
    assert api.post_json(f"{R}/_revs_diff", {"site-doc": path}).json == {}
    push(api, [{"_id": "site-doc", "_rev": path[1], "Subject": "вторая",
                "_revisions": {"start": 2, "ids": [r.split("-")[1] for r in path[1:]]}}])
    assert "@conflicts" not in api.get(f"{DOCS}/site-doc").json
    assert api.get(f"{R}/site-doc?revs=true").json["_revisions"]["ids"] == [r.split("-")[1] for r in path]


def test_bulk_get_and_open_revs(api, memo):
    got = api.post_json(f"{R}/_bulk_get?revs=true", {"docs": [
        {"id": memo["@unid"], "rev": memo["@rev"]}, {"id": "absent", "rev": f"1-{HASH}"}]}).json
    first, second = got["results"]
    assert first["docs"][0]["ok"]["Subject"] == "О ремонте кровли"
    assert first["docs"][0]["ok"]["_revisions"]["start"] == 1
    assert second["docs"][0]["error"]["error"] == "not_found"
    listed = api.get(f'{R}/{memo["@unid"]}?open_revs=["{memo["@rev"]}","1-{HASH}"]&revs=true').json
    assert listed[0]["ok"]["_rev"] == memo["@rev"] and listed[1] == {"missing": f"1-{HASH}"}
    assert len(api.get(f"{R}/{memo['@unid']}?open_revs=all").json) == 1


def test_attachments_travel_inline_and_are_fetched_one_by_one(api):
    push(api, [{"_id": "with-file", "_rev": f"1-{HASH}", "Subject": "скан",
                "_attachments": {"скан.txt": {"content_type": "text/plain", "data": "0YHQutCw0L0="}}}])
    stub = api.get(f"{R}/with-file").json["_attachments"]["скан.txt"]
    assert stub["stub"] is True and stub["length"] == 8 and stub["digest"].startswith("md5-")
    inline = api.get(f"{R}/with-file?attachments=true").json["_attachments"]["скан.txt"]
    assert inline["data"] == "0YHQutCw0L0="
    file = raw(api, "get", "/replication/documents/with-file/%D1%81%D0%BA%D0%B0%D0%BD.txt")
    assert file.body == "скан".encode() and file.content_type == "text/plain"
    second = f"2-{HASH[::-1]}"
    push(api, [{"_id": "with-file", "_rev": second, "Subject": "скан 2",
                "_revisions": {"start": 2, "ids": [second[2:], HASH]},
                "_attachments": {"скан.txt": {**stub}}}])
    assert api.get(f"{DOCS}/with-file").json["@attachments"]["скан.txt"]["length"] == 8
    refused = push(api, [{"_id": "other", "_rev": f"1-{HASH}", "_attachments": {"x.txt": stub}}])
    assert refused.json[0]["error"] == "missing_stub"


def test_a_percent_encoded_slash_is_part_of_the_id(api):
    push(api, [{"_id": "a/b", "_rev": f"1-{HASH}", "Subject": "слэш"}])
    assert raw(api, "get", "/replication/documents/a%2Fb").json["_id"] == "a/b"
    assert raw(api, "get", "/replication/documents/a/b", status=404).json["reason"] == "missing"


@pytest.mark.parametrize("body", [
    [], {"docs": "x", "new_edits": False}, {"docs": [{"_id": "x", "_rev": f"1-{HASH}"}]},
])
def test_bad_bulk_bodies_are_refused_whole(api, body):
    api.post_json(f"{R}/_bulk_docs", body, status=400)
    assert api.get(R).json["update_seq"] == 0


@pytest.mark.parametrize("doc, code", [
    ({"_id": "x", "_rev": "forged"}, "bad_request"),
    ({"_id": "x", "_rev": f"1-{HASH}", "1bad": 1}, "invalid_item"),
    ({"_id": "_design/x", "_rev": f"1-{HASH}"}, "forbidden"),
    ({"_id": "x", "_rev": f"2-{HASH}", "_revisions": {"start": 3, "ids": [HASH]}}, "bad_request"),
    ({"_id": "x", "_rev": f"1-{HASH}", "_attachments": {"../x": {"data": "eA=="}}}, "invalid_name"),
    ({"_id": "x", "_rev": f"1-{HASH}", "_attachments": {"x": {"data": "%%%"}}}, "bad_request"),
    ({"_id": "x", "_rev": f"1-{HASH}", "$REF": 5}, "bad_request"),
    ("not a document", "bad_request"),
])
def test_bad_documents_get_an_error_each_and_change_nothing(api, doc, code):
    answer = push(api, [doc, {"_id": "good", "_rev": f"1-{HASH}", "Subject": "ok"}]).json
    assert [entry["error"] for entry in answer] == [code]
    assert api.get(R).json["doc_count"] == 1


def test_html_in_items_is_stored_as_text(api):
    push(api, [{"_id": "html", "_rev": f"1-{HASH}", "Subject": "<script>alert(1)</script>"}])
    assert api.get(f"{DOCS}/html").json["Subject"] == "<script>alert(1)</script>"


def test_local_documents_keep_checkpoints_with_their_own_revisions(api):
    api.get(f"{R}/_local/check", status=404)
    first = api.put_json(f"{R}/_local/check", {"last_seq": 5}, status=201).json
    assert first["rev"] == "0-1"
    api.put_json(f"{R}/_local/check", {"last_seq": 6}, status=409)
    api.put_json(f"{R}/_local/check", {"last_seq": 6, "_rev": "0-1"}, status=201)
    assert api.get(f"{R}/_local/check").json == {"_id": "_local/check", "_rev": "0-2", "last_seq": 6}
    assert api.get(R).json["update_seq"] == 0  # not a document, not in the feed
    api.delete(f"{R}/_local/check")
    api.get(f"{R}/_local/check", status=404)


def test_all_docs_and_ensure_full_commit(api, memo):
    listed = api.get(f"{R}/_all_docs?include_docs=true").json
    assert listed["total_rows"] == 1 and listed["rows"][0]["doc"]["Subject"] == "О ремонте кровли"
    keyed = api.post_json(f"{R}/_all_docs", {"keys": [memo["@unid"], "nope"]}).json["rows"]
    assert keyed[1] == {"key": "nope", "error": "not_found"}
    assert api.post_json(f"{R}/_ensure_full_commit", {}, status=201).json["ok"] is True


def test_errors_have_couchdb_shape(api, memo):
    assert api.delete(f"{R}/{memo['@unid']}", status=405).json["error"] == "method_not_allowed"
    assert set(api.get(f"{R}/_design/x", status=404).json) == {"error", "reason"}
    api.post(f"{R}/_bulk_docs", "{bad json", content_type="application/json", status=400)


def test_a_reader_pulls_only_what_it_may_read_and_may_not_push(app, api, memo):
    reader = _user(app, api, "reader1", "reader")
    _user(app, api, "boss", "reader")
    secret = api.post_json(DOCS, {"Form": "Memo", "Subject": "секрет", "Readers": ["boss"]}).json
    rows = reader.get(f"{R}/_changes?style=all_docs").json["results"]
    assert [row["id"] for row in rows] == [memo["@unid"]]
    assert reader.get(f"{R}/_all_docs").json["total_rows"] == 1
    hidden = reader.get(f"{R}/{secret['@unid']}", status=404).json
    assert hidden == reader.get(f"{R}/{'0' * 32}", status=404).json
    got = reader.post_json(f"{R}/_bulk_get", {"docs": [{"id": secret["@unid"]}]}).json
    assert got["results"][0]["docs"][0]["error"]["error"] == "not_found"
    diff = reader.post_json(f"{R}/_revs_diff", {secret["@unid"]: [secret["@rev"]]}).json
    assert diff == {secret["@unid"]: {"missing": [secret["@rev"]]}}
    push(reader, [{"_id": "from-reader", "_rev": f"1-{HASH}"}], status=403)
    reader.put_json(f"{R}/_local/reader-checkpoint", {"last_seq": 1}, status=201)


def test_an_author_may_not_overwrite_what_it_may_not_edit(app, api, memo):
    author = _user(app, api, "author1", "author")
    answer = push(author, [{"_id": memo["@unid"], "_rev": f"2-{HASH}", "Subject": "чужое",
                            "_revisions": {"start": 2, "ids": [HASH, memo["@rev"][2:]]}},
                           {"_id": "own", "_rev": f"1-{HASH}", "Subject": "своё"}]).json
    assert [entry["error"] for entry in answer] == ["forbidden"]
    assert api.get(f"{DOCS}/{memo['@unid']}").json["@rev"] == memo["@rev"]


def test_a_replica_that_missed_a_purged_deletion_is_refused(app, api, memo):
    api.delete(f"{DOCS}/{memo['@unid']}", headers={"If-Match": memo["@rev"]})
    other = api.post_json(DOCS, {"Form": "Memo", "Subject": "другой"}).json
    connection = app.registry.zodb.open()
    database = server_root(connection).databases["documents"]
    purge_stubs(database, datetime.now(UTC) + timedelta(days=365))
    import transaction

    transaction.commit()
    connection.close()
    refused = api.get(f"{R}/_changes?since=1", status=410).json
    assert refused["error"] == "replica_too_old" and "purge interval" in refused["reason"]
    assert api.get(f"{R}/_changes?since=0").json["results"][0]["id"] == other["@unid"]
    assert api.get(f"{R}/_changes?since=3").json["results"] == []


def test_doc_ids_filter_and_lenient_heartbeat(api, memo):
    other = api.post_json(DOCS, {"Form": "Memo", "Subject": "другой"}).json
    rows = api.post_json(f"{R}/_changes?filter=_doc_ids", {"doc_ids": [other["@unid"]]}).json["results"]
    assert [row["id"] for row in rows] == [other["@unid"]]
    assert len(api.get(f"{R}/_changes?feed=longpoll&heartbeat=true&since=0").json["results"]) == 2
    api.post_json(f"{R}/_changes?filter=_doc_ids", ["not", "an", "object"], status=400)
    api.post_json(f"{R}/_all_docs", ["not", "an", "object"], status=400)
    api.get(f"{R}/_changes?filter=by_form", status=400)


@pytest.mark.parametrize(("method", "path", "reads"), [
    ("POST", "/replication/documents/_revs_diff", True),
    ("POST", "/replication/documents/_bulk_get", True),
    ("POST", "/replication/documents/_all_docs", True),
    ("POST", "/replication/documents/_changes", True),
    ("POST", "/replication/documents/_bulk_docs", False),
    ("POST", "/replication/documents/_revs_diff%2Fx", False),
    ("PUT", "/replication/documents/_local/checkpoint", False),
    ("POST", "/api/databases/documents/documents", False),
    ("GET", "/replication/documents/_changes", True),
])
def test_replication_questions_posted_are_reads_not_writes(app, method, path, reads):
    """``_revs_diff`` and ``_bulk_get`` write nothing: they must not wait for the writers' turn."""
    request = Request.blank(path, method=method)
    request.registry = app.registry
    assert is_reading(request) is reads
