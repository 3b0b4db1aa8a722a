"""Text that is not valid Unicode, and other hostile input, at every door: 400, never 500.

A lone surrogate or a NUL is refused wherever it is sent (JSON API,
replication endpoint, URLs, forms, attachment names); a database that holds
one from an older version keeps serving every read path, and ``domus check
--repair`` mends it.
"""
from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from webtest import TestApp

from core.check import check_storage
from core.document import Document, Revision
from core.root import server_root
from core.storage import connection_scope, open_db
from core.writes import Writer, utc_now
from replication.peers import Peer, WsgiTransport
from replication.replicator import Replicator
from tests.conftest import ADMIN_PASSWORD, DOCS, running_app
from tests.core.test_gate_paths import _listing_paths
from tests.integration.servers import domus

R = "/replication/documents"
HASH = "0123456789abcdef0123456789abcdef"
BAD_UNID = "\ud800" + "A" * 31


def _post_raw(client: TestApp, path: str, text: str, status: int = 400, method: str = "post"):
    """Send JSON text as written: ``post_json`` could not encode a lone surrogate."""
    return getattr(client, method)(path, text.encode("utf-8"), content_type="application/json",
                                   status=status)


def _plant(zodb, pm, unid: str, items: dict, database: str = "documents") -> None:
    """Store a revision as an older version did, bypassing every door."""
    with connection_scope(zodb) as (tm, connection):
        tm.begin()
        target = server_root(connection).get_database(database)
        revision = Revision(f"1-{HASH}", None, items, timestamp=utc_now(), updated_by="older-version")
        Writer(pm, "older-version", tm).graft(target, Document(unid), revision)
        tm.commit()


# -- refused at the door ------------------------------------------------------
@pytest.fixture(scope="module")
def door(tmp_path_factory):
    """One application for the tests that only knock: nothing they send is stored."""
    zodb = open_db("memory://")
    settings = {"zodbconn.uri": "memory://", "domus.var_dir": str(tmp_path_factory.mktemp("var"))}
    with running_app(zodb, settings) as application:
        yield application
    zodb.close()


@pytest.fixture
def admin(door) -> TestApp:
    client = TestApp(door)
    client.authorization = ("Basic", ("admin", ADMIN_PASSWORD))
    return client


@pytest.fixture(scope="module")
def door_memo(door) -> dict:
    client = TestApp(door)
    client.authorization = ("Basic", ("admin", ADMIN_PASSWORD))
    return client.post_json(DOCS, {"Form": "Memo", "Subject": "Счёт"}).json


@pytest.mark.parametrize("field", ['"_id": "\\ud800x"', '"Subject": "\\ud800"',
                                   '"Subject": ["ok", {"deep": "a\\u0000b"}]', '"S\\udfff": 1'])
def test_bad_text_pushed_to_bulk_docs_is_400(admin, field):
    doc = f'{{"_id": "{"B" * 32}", "_rev": "1-{HASH}", "Form": "Memo", {field}}}'
    answer = _post_raw(admin, f"{R}/_bulk_docs", f'{{"docs": [{doc}], "new_edits": false}}').json
    assert answer["error"] == "invalid_text" and "docs[0]" in answer["reason"]
    assert "B" * 32 not in admin.get(f"{R}/_changes").text


@pytest.mark.parametrize("body, where", [
    ('{"Form": "Memo", "Subject": "\\ud800"}', "Subject holds a lone surrogate (U+D800)"),
    ('{"Form": "Memo", "Sub\\ud800": "x"}', "holds a lone surrogate (U+D800)"),
    ('{"Form": "Memo", "Subject": "a\\u0000b"}', "Subject holds a NUL character (U+0000)"),
    ('{"Form": "Memo", "Tags": [{"k\\u0000": 1}]}', "in Tags[0] holds a NUL character"),
])
def test_bad_text_in_an_api_value_or_item_name_is_400(admin, body, where):
    answer = _post_raw(admin, DOCS, body).json
    assert answer["error"] == "invalid_text" and where in answer["message"]


def test_a_valid_surrogate_pair_is_accepted(admin):
    unid = _post_raw(admin, DOCS, '{"Form": "Memo", "Subject": "\\ud83d\\ude00"}', status=201).json["@unid"]
    assert admin.get(f"{DOCS}/{unid}").json["Subject"] == "\U0001f600"


@pytest.mark.parametrize("number, message", [
    ("9" * 4301, "more than 4300 digits"),
    ("-" + "9" * 5000, "more than 4300 digits"),
    ("1e999", "too large"),
    ("NaN", "NaN is not valid JSON"),
    ("-Infinity", "-Infinity is not valid JSON"),
])
def test_numbers_json_cannot_carry_are_400(admin, number, message):
    answer = _post_raw(admin, DOCS, f'{{"Form": "Memo", "Pages": {number}}}').json
    assert answer["error"] == "invalid_json" and message in answer["message"]


def test_a_huge_number_in_a_local_document_is_400(admin):
    _post_raw(admin, f"{R}/_local/checkpoint", '{"n": 1e400}', method="put")


def test_other_hostile_bodies_are_400(admin):
    assert _post_raw(admin, DOCS, "[" * 100000).json["error"] == "invalid_json"
    assert admin.post(DOCS, b'{"Subject": "\xff"}', content_type="application/json",
                    status=400).json["error"] == "invalid_json"
    long_name = _post_raw(admin, DOCS, json.dumps({"Form": "Memo", "a" * 10000: 1})).json
    assert long_name["error"] == "invalid_item" and len(long_name["message"]) < 300
    weird = admin.post(DOCS, b'{"Form": "Memo"}', status=201,
                       headers={"Content-Type": "application/json; charset=ebcdic"})
    assert weird.json["@rev"].startswith("1-")


@pytest.mark.parametrize("path", ["/%ff", "/api/databases/%ff", f"{R}/%c3%28", "/db/documents%ff",
                                  "/api/databases/documents%00", "/api/databases?x=%ff", f"{DOCS}?limit=%ff",
                                  f"{DOCS}?startkey=a%00b"])
def test_invalid_utf8_or_nul_in_a_url_is_400_even_anonymous(door, admin, path):
    for client in (TestApp(door), admin):
        answer = client.get(path, status=400)
        assert answer.json["error"] == "invalid_text" and answer.content_type == "application/json"


def test_nul_in_a_form_post_is_400_and_invalid_utf8_is_replaced(door):
    browser = TestApp(door)
    form = "application/x-www-form-urlencoded"
    answer = browser.post("/login", b"name=adm%00in&password=x", content_type=form, status=400)
    assert answer.json["error"] == "invalid_text" and "form field 'name'" in answer.json["message"]
    # WebOb decodes a form body with U+FFFD for bytes that are not UTF-8: no error to answer.
    replaced = browser.post("/login", b"name=admin&password=%ff", content_type=form, expect_errors=True)
    assert replaced.status_int < 500


@pytest.mark.parametrize("character", ["\u202e", "\u202a", "\u2066", "\u2069", "\u200e", "\u200f",
                                       "\u200b", "\u200d", "\u2060", "\ufeff", "\u2044", "\u2215",
                                       "\uff0f", "\u29f8", "\u2571", "\\", "/", "\x85"])
def test_attachment_names_with_bidi_invisible_or_slash_lookalikes_are_400(admin, door_memo, character):
    name = quote(f"invoice{character}fdp.exe".encode())
    answer = admin.put(f"{DOCS}/{door_memo['@unid']}/attachments/{name}", b"data",
                       content_type="application/octet-stream", headers={"If-Match": door_memo["@rev"]},
                       status=400)
    assert answer.json["error"] == "invalid_name"


def test_attachment_names_with_bad_characters_are_refused_by_replication(admin):
    doc = {"_id": "C" * 32, "_rev": f"1-{HASH}", "Form": "Memo",
           "_attachments": {"a\u202etxt.exe": {"content_type": "text/plain", "data": "ZGF0YQ=="}}}
    answer = admin.post_json(f"{R}/_bulk_docs", {"docs": [doc], "new_edits": False}).json
    assert answer[0]["error"] in {"invalid_name", "forbidden"} and "U+202E" in answer[0]["reason"]


# -- a database that already holds bad text ------------------------------------
def test_stored_bad_text_keeps_every_read_path_serving(app, api, zodb):
    _plant(zodb, app.registry.pm, BAD_UNID, {"Form": "Memo", "Subject": "x\ud800y", "Dept": "Отдел"})
    _plant(zodb, app.registry.pm, "D" * 32, {"Form": "Memo", "Subject": "ok", "Bad\udc00": "v"})
    for name, path in _listing_paths().items():
        if name.startswith("ui.search") or name == "search":
            continue  # the full-text index is built by the worker, which these tests do not run
        answer = api.get(path, status=[200, 303])
        assert "\ud800" not in answer.text, name
    changes = api.get(f"{R}/_changes").json["results"]
    assert {row["id"] for row in changes} == {"\ufffd" + "A" * 31, "D" * 32}
    assert api.get(f"{DOCS}/{'D' * 32}").json["Bad\ufffd"] == "v"
    api.get(f"/db/documents/documents/{'D' * 32}", status=200)
    parts = api.get(f"{R}/{'D' * 32}?open_revs=all", headers={"Accept": "multipart/mixed"})
    assert "Bad\ufffd" in parts.body.decode("utf-8")
    fetched = api.post_json(f"{R}/_bulk_get", {"docs": [{"id": "D" * 32}]}).json
    assert fetched["results"][0]["docs"][0]["ok"]["Bad\ufffd"] == "v"


def test_a_database_holding_bad_text_still_replicates_and_check_repair_heals_it(app, api, zodb, tmp_path):
    _plant(zodb, app.registry.pm, BAD_UNID, {"Form": "Memo", "Subject": "bad id"})
    _plant(zodb, app.registry.pm, "D" * 32, {"Form": "Memo", "Subject": "x\ud800y"})
    clean = api.post_json(DOCS, {"Form": "Memo", "Subject": "после"}).json["@unid"]
    replica_id = api.get("/api/databases/documents").json["replicaId"]
    other_zodb = open_db("memory://")
    settings = {"zodbconn.uri": "memory://", "domus.var_dir": str(tmp_path / "other")}
    try:
        with running_app(other_zodb, settings) as other:
            target = TestApp(other)
            target.authorization = ("Basic", ("admin", ADMIN_PASSWORD))
            target.put(f"/replication/copy?replica_id={replica_id}&template=documents")

            def replicate():
                credentials = ("admin", ADMIN_PASSWORD)
                return Replicator(Peer("http://a/replication/documents", WsgiTransport(app, credentials)),
                                  Peer("http://b/replication/copy", WsgiTransport(other, credentials))).run()

            report = replicate()
            # The damaged revision (its text no longer matches its id) is refused alone; the rest moves.
            assert report.last_seq == 3 and report.errors == [f"{'D' * 32}: forbidden: "
                                                              "revision id does not match its content"]
            target.get(f"/api/databases/copy/documents/{clean}", status=200)
            remaining = check_storage(zodb, lambda line: None, app.registry.pm, tmp_path / "quarantine")
            assert remaining == []
            assert replicate().failures == 0
            assert target.get(f"/api/databases/copy/documents/{'D' * 32}").json["Subject"] == "x\ufffdy"
    finally:
        other_zodb.close()


def test_deleting_a_document_with_a_bad_id_keeps_the_feeds_serving(app, api, zodb):
    _plant(zodb, app.registry.pm, BAD_UNID, {"Form": "Memo", "Subject": "x"})
    with connection_scope(zodb) as (tm, connection):
        tm.begin()
        database = server_root(connection).get_database("documents")
        document = database.documents[BAD_UNID]
        Writer(app.registry.pm, "admin", tm).delete(database, document, document.winner)
        tm.commit()
    assert api.get(f"{R}/_changes").json["results"][0]["deleted"] is True
    api.get("/api/databases/documents/changes", status=200)


def test_domus_check_reports_and_repairs_stored_bad_text(tmp_path):
    var = tmp_path / "var"
    domus(var, "init")
    db = open_db(f"file://{var / 'Data.fs'}?blobstorage_dir={var / 'blobs'}")
    try:
        from core.plugins import make_plugin_manager

        pm = make_plugin_manager(load_entry_points=False)
        _plant(db, pm, BAD_UNID, {"Form": "Memo", "Subject": "bad id"})
        _plant(db, pm, "E" * 32, {"Form": "Memo", "Subject": "a\ud800b", "N\x00": ["\udfff"]})
    finally:
        db.close()
    assert "rebuilt: 1 documents" in domus(var, "reindex", "documents").stdout  # the bad id is left out
    found = domus(var, "check", check=False)
    assert found.returncode == 1
    assert "documents/\\ud800AAAA" in found.stdout and "a lone surrogate (U+D800)" in found.stdout
    assert "documents/EEEE" in found.stdout
    repaired = domus(var, "check", "--repair")
    assert repaired.stdout.count("repaired") == 2, repaired.stdout
    assert domus(var, "check").stdout.strip().endswith("ok")
    domus(var, "export", "documents", str(tmp_path / "documents.zip"))  # every revision is text again
    quarantined = (var / "quarantine" / "documents.jsonl").read_text(encoding="ascii")
    assert json.loads(quarantined)["unid"] == BAD_UNID
    db = open_db(f"file://{var / 'Data.fs'}?blobstorage_dir={var / 'blobs'}")
    try:
        with connection_scope(db) as (tm, connection):
            tm.begin()
            database = server_root(connection).get_database("documents")
            assert BAD_UNID not in database.documents
            current = database.documents["E" * 32].current()
            assert current.items["Subject"] == "a\ufffdb" and current.items["N\ufffd"] == ["\ufffd"]
            assert current.updated_by == "domus-check"
    finally:
        db.close()
