"""The one gate, walked on every path, for every ACL level.

A database holds an open document and a secret one (its Readers name only
``boss``), the secret one with an attachment, a history and a response.  For
every level from No Access to Manager, and for anonymous callers, every read
path is asked about both documents; a path that shows the secret document,
one of its items, its attachment or a count that includes it fails the test.
For the secret document every path must answer exactly as for a document
that does not exist.  The walk is checked against the application's own
route table, so a route added later without being walked here fails too.
"""
from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from webtest import TestApp

from core.storage import open_db
from tests.conftest import ADMIN_PASSWORD, running_app

DB = "/api/databases/documents"
LEVELS = ("noaccess", "depositor", "reader", "author", "editor", "designer", "manager")
SECRET_TEXT = "СЕКРЕТНО-42 личные данные заявителя"
ATTACHMENT = "паспорт-скан.txt"
MISSING = "0" * 32
PASSWORD = "Gate-password-1"

#: Routes that carry no document, an item or a count of documents (checked elsewhere).
NOT_DOCUMENT_PATHS = {"api", "plugins", "tokens", "token", "audit", "session", "sessions",
                      "session_by_id", "ui.login", "ui.logout",
                      "ui.language", "__ui-static/", "acl", "databases", "views", "view_design",
                      "replication_history"}


def _client(app, name: str | None) -> TestApp:
    client = TestApp(app)
    if name is not None:
        client.authorization = ("Basic", (name, PASSWORD))
    return client


def _make_world(app, api) -> dict:
    """Users at every level, the ACL naming them, an open and a secret document."""
    for name in (*LEVELS, "boss"):
        api.post_json("/api/databases/directory/documents",
                      {"Form": "Person", "UserName": name, "FullName": name, "Password": PASSWORD})
    acl = api.get(f"{DB}/acl").json
    acl["entries"] += [
        {"name": level, "type": "person", "level": level, "roles": [],
         "canCreate": level != "noaccess", "canDelete": level in ("editor", "designer", "manager")}
        for level in LEVELS
    ] + [{"name": "boss", "type": "person", "level": "reader", "roles": []}]
    api.put_json(f"{DB}/acl", acl)
    open_doc = api.post_json(f"{DB}/documents", {"Form": "Memo", "Subject": "Открытая записка",
                                                 "Authors": ["author"]}).json
    secret = api.post_json(f"{DB}/documents", {"Form": "Memo", "Subject": SECRET_TEXT,
                                               "Readers": ["boss"]}).json
    # The administrator is not in Readers: like everyone else, they no longer see it.
    api.get(f"{DB}/documents/{secret['@unid']}", status=404)
    return {"open": open_doc["@unid"], "secret": secret["@unid"], "secret_rev": secret["@rev"]}


@pytest.fixture
def world(app, api) -> dict:
    return _make_world(app, api)


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One application for the read-only walks (users are slow to make: argon2)."""
    zodb = open_db("memory://")
    settings = {"zodbconn.uri": "memory://", "domus.var_dir": str(tmp_path_factory.mktemp("var"))}
    with running_app(zodb, settings) as app:
        api = TestApp(app)
        api.authorization = ("Basic", ("admin", ADMIN_PASSWORD))
        yield app, api, _add_secrets(app, _make_world(app, api))
    zodb.close()


def _add_secrets(app, world) -> dict:
    """The boss (the only reader) adds history, an attachment and a response to the secret."""
    boss = _client(app, "boss")
    acl = TestApp(app)
    acl.authorization = ("Basic", ("admin", ADMIN_PASSWORD))
    entries = acl.get(f"{DB}/acl").json
    for entry in entries["entries"]:
        if entry["name"] == "boss":
            entry.update(level="editor", canCreate=True)
    acl.put_json(f"{DB}/acl", entries)
    unid = world["secret"]
    current = boss.get(f"{DB}/documents/{unid}").json
    edited = boss.put_json(f"{DB}/documents/{unid}", {**current, "Pages": 3}).json
    attached = boss.put(f"{DB}/documents/{unid}/attachments/{quote(ATTACHMENT)}", b"4510 123456",
                        headers={"If-Match": edited["@rev"], "Content-Type": "text/plain"}).json
    response = boss.post_json(f"{DB}/documents", {"Form": "Memo", "Subject": SECRET_TEXT + " ответ",
                                                  "@parent": unid, "Readers": ["boss"]}).json
    open_response = boss.post_json(f"{DB}/documents", {"Form": "Memo", "Subject": "ответ-секрет",
                                                       "@parent": world["open"],
                                                       "Readers": ["boss"]}).json
    letter = boss.post_json(f"{DB}/documents", {"Form": "Incoming", "Subject": SECRET_TEXT + " письмо",
                                                "Correspondent": SECRET_TEXT, "RegDate": "2026-11-20",
                                                "Readers": ["boss"]}).json
    for entry in entries["entries"]:
        if entry["name"] == "boss":
            entry.update(level="reader", canCreate=False)
    acl.put_json(f"{DB}/acl", entries)
    return {**world, "first_rev": world["secret_rev"], "rev": attached["@rev"],
            "hidden": {unid, response["@unid"], open_response["@unid"], letter["@unid"]}}


def _document_paths(unid: str, rev: str) -> dict[str, str]:
    base = f"{DB}/documents/{unid}"
    return {
        "document": base,
        "responses": f"{base}/responses",
        "history": f"{base}/history",
        "history_revision": f"{base}/history/{rev}",
        "attachment": f"{base}/attachments/{quote(ATTACHMENT)}",
        "replication": f"/replication/documents/{unid}?revs=true&conflicts=true",
        "replication_attachment": f"/replication/documents/{unid}/{quote(ATTACHMENT)}",
        "replication_open_revs": f"/replication/documents/{unid}?open_revs=all",
    }


def _page_paths(unid: str) -> dict[str, str]:
    """The web UI's pages of one document (anonymous callers are sent to the login page: 303)."""
    base = f"/db/documents/documents/{unid}"
    return {"ui.document": base, "ui.edit": f"{base}/edit", "ui.upload": f"{base}/attachments",
            "ui.new": f"/db/documents/new/Resolution?parent={unid}"}


def _listing_paths() -> dict[str, str]:
    return {
        "ui.home": "/",
        "ui.database": "/db/documents",
        "ui.view": "/db/documents/views/AllByForm?expand=1",
        "ui.view_category": "/db/documents/views/MemosByDept?open=",
        "ui.view_resorted": "/db/documents/views/IncomingByDate?sort=Correspondent",
        "ui.search": f"/db/documents/search?q={quote('СЕКРЕТНО')}&view=AllByForm",
        "database": DB,
        "documents": f"{DB}/documents?include_docs=true&limit=1000",
        "changes": f"{DB}/changes?limit=1000",
        "view": f"{DB}/views/AllByForm?expand=true&count=1000",
        "view_categories": f"{DB}/views/MemosByDept",
        "view_category": f"{DB}/views/MemosByDept?category=&count=1000",
        "view_resorted": f"{DB}/views/IncomingByDate?resort=Correspondent&count=1000",
        "view_resorted_at_key": f"{DB}/views/IncomingByDate?resort=Correspondent&startkey={quote('С')}"
                                "&count=1000",
        "replication_changes": "/replication/documents/_changes?style=all_docs&include_docs=true",
        "replication_all_docs": "/replication/documents/_all_docs?include_docs=true",
        "search": f"{DB}/search?q={quote('СЕКРЕТНО OR записка OR ответ OR files:' + ATTACHMENT)}&count=1000",
    }


def _walked_routes() -> set[str]:
    return (set(_document_paths(MISSING, "1-x")) | set(_page_paths(MISSING)) | set(_listing_paths())
            | {"restore", "resolve"})


def test_the_walk_covers_every_route(app):
    routes = {item["introspectable"]["name"]
              for item in app.registry.introspector.get_category("routes")}
    unwalked = routes - _walked_routes() - NOT_DOCUMENT_PATHS
    assert not unwalked, f"routes not walked by the gate test: {sorted(unwalked)}"


def _leaks(body: str, world) -> list[str]:
    found = [unid for unid in world["hidden"] if unid in body]
    return found + [text for text in (SECRET_TEXT, "ответ-секрет", ATTACHMENT) if text in body]


@pytest.mark.parametrize("who", [*LEVELS, None])
def test_no_read_path_reveals_the_secret_document(shared, who):
    app, _, secret_world = shared
    client = _client(app, who)
    secret = secret_world["secret"]
    for name, path in {**_document_paths(secret, secret_world["first_rev"]),
                       **_page_paths(secret)}.items():
        hidden = client.get(path, expect_errors=True)
        absent = client.get(path.replace(secret, MISSING), expect_errors=True)
        assert hidden.status_int == absent.status_int, (who, name, hidden.status)
        assert hidden.status_int in (401, 403, 404) or (
            name.startswith("ui.") and who is None and hidden.status_int == 303), (who, name)
        assert hidden.text.replace(secret, MISSING) == absent.text, (who, name)
        assert not _leaks(hidden.text.replace(secret, ""), secret_world), (who, name)
    for name, path in {**_listing_paths(),
                       "open_responses": f"{DB}/documents/{secret_world['open']}/responses",
                       "open_page": f"/db/documents/documents/{secret_world['open']}",
                       "databases": "/api/databases"}.items():
        answer = client.get(path, expect_errors=True)
        assert not _leaks(answer.text, secret_world), (who, name, answer.text[:300])


@pytest.mark.parametrize("who", LEVELS)
def test_counts_leave_the_secret_documents_out(shared, who):
    app, api, secret_world = shared
    client = _client(app, who)
    everything = api.get(f"{DB}/documents?limit=1").json["total"]
    may_read = LEVELS.index(who) >= LEVELS.index("reader")
    expected = everything if may_read else 0  # the administrator does not see them either
    if who == "noaccess":
        client.get(DB, status=403)
    else:
        assert client.get(DB).json["documents"] == expected
    listed = client.get("/api/databases").json["databases"]
    assert [d["documents"] for d in listed if d["name"] == "documents"] == (
        [expected] if who != "noaccess" else [])
    if may_read:
        assert client.get(f"{DB}/documents?limit=1").json["total"] == expected
        # The administrator's totals leave the secrets out too, in every order of a view.
        for view in ("AllByForm", "MemosByDept", "IncomingByDate?resort=Correspondent",
                     f"IncomingByDate?resort=Correspondent&startkey={quote('С')}"):
            assert client.get(f"{DB}/views/{view}").json["total"] == api.get(
                f"{DB}/views/{view}").json["total"]


def test_the_reader_named_sees_everything_the_others_do_not(shared):
    app, _, secret_world = shared
    boss = _client(app, "boss")
    secret = secret_world["secret"]
    for name, path in _document_paths(secret, secret_world["first_rev"]).items():
        assert boss.get(path).status_int == 200, name
    listed = boss.get(f"{DB}/documents?include_docs=true&limit=1000").text
    assert all(unid in listed for unid in secret_world["hidden"])
    changes = json.dumps(boss.get(f"{DB}/changes?limit=1000").json)
    assert all(unid in changes for unid in secret_world["hidden"])


@pytest.mark.parametrize("who", [*LEVELS, None])
def test_the_open_document_follows_the_acl_level(shared, who):
    app, _, world = shared
    client = _client(app, who)
    answer = client.get(f"{DB}/documents/{world['open']}", expect_errors=True)
    if who is None:
        assert answer.status_int == 401
    elif LEVELS.index(who) >= LEVELS.index("reader"):
        assert answer.json["Subject"] == "Открытая записка"
    else:
        assert answer.status_int == 403


def _try_edit(client, unid: str, rev: str, status):
    return client.put_json(f"{DB}/documents/{unid}", {"Form": "Memo", "Subject": "правка"},
                           headers={"If-Match": rev}, status=status)


@pytest.mark.parametrize("who, may_edit", [
    ("noaccess", False), ("depositor", False), ("reader", False),
    ("author", True),  # named in the open document's Authors item
    ("editor", True), ("designer", True), ("manager", True),
])
def test_who_may_edit_the_open_document(app, world, who, may_edit):
    rev = _client(app, "reader").get(f"{DB}/documents/{world['open']}").json["@rev"]
    _try_edit(_client(app, who), world["open"], rev, 200 if may_edit else 403)


def test_an_author_not_named_in_authors_may_not_edit(app, api, world):
    other = api.post_json(f"{DB}/documents", {"Form": "Memo", "Subject": "чужая"}).json
    _try_edit(_client(app, "author"), other["@unid"], other["@rev"], 403)


@pytest.mark.parametrize("who", ["editor", "manager"])
def test_writes_to_the_secret_document_look_like_writes_to_nothing(app, world, who):
    client = _client(app, who)
    secret, rev = world["secret"], world["secret_rev"]
    hidden = _try_edit(client, secret, rev, 404)
    assert hidden.json == _try_edit(client, MISSING, rev, 404).json | {
        "message": hidden.json["message"]}
    client.delete(f"{DB}/documents/{secret}", headers={"If-Match": rev}, status=404)
    client.post(f"{DB}/documents/{secret}/restore", status=404)
    client.post_json(f"{DB}/documents/{secret}/resolve", {"keep": rev}, status=404)
    for action in ("restore", "resolve"):  # a method the route does not take: as for nothing
        wrong_method = client.get(f"{DB}/documents/{secret}/{action}", status=404)
        assert wrong_method.json == client.get(f"{DB}/documents/{MISSING}/{action}", status=404).json | {
            "message": wrong_method.json["message"]}
    client.put(f"{DB}/documents/{secret}/attachments/a.txt", b"x",
               headers={"If-Match": rev, "Content-Type": "text/plain"}, status=404)
    response = client.post_json(f"{DB}/documents", {"Form": "Memo", "@parent": secret}, status=404)
    assert SECRET_TEXT not in response.text


@pytest.mark.parametrize("who, status", [
    ("noaccess", 403), ("depositor", 201), ("reader", 403), ("author", 201), ("editor", 201),
])
def test_who_may_create_documents(app, world, who, status):
    _client(app, who).post_json(f"{DB}/documents", {"Form": "Memo", "Subject": "новая"},
                                status=status)


def test_a_depositor_creates_but_cannot_read_back(app, world):
    depositor = _client(app, "depositor")
    made = depositor.post_json(f"{DB}/documents", {"Form": "Memo", "Subject": "в ящик"}).json
    depositor.get(f"{DB}/documents/{made['@unid']}", status=403)
    depositor.get(f"{DB}/changes", status=403)


@pytest.mark.parametrize("who, status", [("author", 403), ("editor", 200), ("reader", 403)])
def test_deleting_needs_the_delete_flag(app, world, who, status):
    rev = _client(app, "reader").get(f"{DB}/documents/{world['open']}").json["@rev"]
    _client(app, who).delete(f"{DB}/documents/{world['open']}", headers={"If-Match": rev},
                             status=status)


def _push(client, docs: list, status):
    return client.post_json("/replication/documents/_bulk_docs", {"docs": docs, "new_edits": False},
                            status=status)


@pytest.mark.parametrize("who", ["author", "editor", "manager"])
def test_pushed_revisions_of_the_secret_document_are_forbidden_and_change_nothing(shared, who):
    app, _, world = shared
    boss, secret = _client(app, "boss"), world["secret"]
    before = boss.get(f"/replication/documents/{secret}?open_revs=all&revs=true").json
    generation = int(world["rev"].split("-")[0]) + 1
    child = {"_id": secret, "_rev": f"{generation}-{'a' * 32}", "Form": "Memo", "Subject": "чужая",
             "_revisions": {"start": generation, "ids": ["a" * 32, world["rev"].split("-")[1]]}}
    branch = {"_id": secret, "_rev": f"1-{'b' * 32}", "Form": "Memo", "Subject": "ветка"}
    gone = {"_id": secret, "_rev": f"{generation}-{'c' * 32}", "_deleted": True,
            "_revisions": {"start": generation, "ids": ["c" * 32, world["rev"].split("-")[1]]}}
    answer = _push(_client(app, who), [child, branch, gone], 201).json
    assert [(entry["id"], entry["rev"], entry["error"]) for entry in answer] == [
        (secret, doc["_rev"], "forbidden") for doc in (child, branch, gone)]
    assert SECRET_TEXT not in json.dumps(answer, ensure_ascii=False)
    assert boss.get(f"/replication/documents/{secret}?open_revs=all&revs=true").json == before


@pytest.mark.parametrize("who", ["noaccess", "depositor", "reader", None])
def test_pushing_without_author_access_is_refused_whole(shared, who):
    app, api, _ = shared
    doc = {"_id": "A" * 32, "_rev": f"1-{'d' * 32}", "Form": "Memo", "Subject": "подброшено"}
    _push(_client(app, who), [doc], 401 if who is None else 403)
    api.get(f"/replication/documents/{doc['_id']}", status=404)
