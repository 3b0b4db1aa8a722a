"""Every revision is behind its own Readers, as well as the current one's.

Nurieva writes a complaint only she may read (its Readers name her), attaches
a scan, then redacts it: the secret text and the file are removed and the
Readers item with them, so the current revision is open to every reader of
the database.  She also pushes, by replication, a conflicting revision that
again names only her.  Petrov reads the current revision; the older ones and
the secret conflict must answer him on every path exactly as revisions that
never existed, and the history must not show him who changed what in them.
"""
from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from webtest import TestApp

from core.revisions import make_rev, parse_rev
from tests.conftest import ADMIN_PASSWORD, add_people, basic_client, memory_app

DB = "/api/databases/documents"
REPLICA = "/replication/documents"
PASSWORD = "Revision-password-1"
SECRET = "ДИАГНОЗ-7731 сведения о здоровье заявителя"
SCAN = "справка.txt"
NEVER = "2-" + "0" * 32


def _client(app, name: str) -> TestApp:
    return basic_client(app, name, PASSWORD)


def _push_secret_conflict(nurieva: TestApp, unid: str, parent: str, grandparent: str) -> str:
    """A replicated branch on ``parent`` (older than the winner) whose Readers name only Nurieva."""
    items = {"Form": "Memo", "Subject": "Жалоба", "Body": SECRET + " (другая правка)",
             "Readers": ["nurieva"]}
    rev = make_rev(parent, False, items, {})
    ids = [parse_rev(r)[1] for r in (rev, parent, grandparent)]
    doc = {"_id": unid, "_rev": rev, "_revisions": {"start": parse_rev(rev)[0], "ids": ids}, **items}
    refused = nurieva.post_json(f"{REPLICA}/_bulk_docs", {"docs": [doc], "new_edits": False}).json
    assert refused == []
    return rev


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One application, two editors, the redacted complaint (users are slow to make: argon2)."""
    with memory_app(tmp_path_factory.mktemp("var")) as (app, _):
        admin = basic_client(app, "admin", ADMIN_PASSWORD)
        add_people(admin, ("nurieva", "petrov"), PASSWORD, "documents", "editor",
                   canCreate=True, canDelete=True)
        nurieva = _client(app, "nurieva")
        url = f"{DB}/documents"
        first = nurieva.post_json(url, {"Form": "Memo", "Subject": "Жалоба", "Body": SECRET,
                                        "Readers": ["nurieva"]}).json
        unid = first["@unid"]
        scanned = nurieva.put(f"{url}/{unid}/attachments/{quote(SCAN)}", SECRET.encode(),
                              headers={"If-Match": first["@rev"], "Content-Type": "text/plain"}).json
        redacted = nurieva.put_json(f"{url}/{unid}", {"Form": "Memo", "Subject": "Жалоба",
                                                      "Body": "(изъято)"},
                                    headers={"If-Match": scanned["@rev"]}).json
        current = nurieva.delete(f"{url}/{unid}/attachments/{quote(SCAN)}",
                                 headers={"If-Match": redacted["@rev"]}).json
        conflict = _push_secret_conflict(nurieva, unid, scanned["@rev"], first["@rev"])
        yield {"app": app, "unid": unid, "hidden": [first["@rev"], scanned["@rev"], conflict],
               "open": [redacted["@rev"], current["@rev"]], "scanned": scanned["@rev"],
               "conflict": conflict}


@pytest.fixture(scope="module")
def petrov(world) -> TestApp:
    return _client(world["app"], "petrov")


@pytest.fixture(scope="module")
def nurieva(world) -> TestApp:
    return _client(world["app"], "nurieva")


def _same_as_never(client: TestApp, path: str, rev: str) -> None:
    """``path`` naming hidden ``rev`` answers as the same path naming a revision that never was."""
    hidden = client.get(path, expect_errors=True)
    never = client.get(path.replace(rev, NEVER), expect_errors=True)
    assert hidden.status_int == never.status_int == 404, (path, hidden.status)
    assert hidden.text.replace(rev, NEVER) == never.text, path
    assert SECRET not in hidden.text


def test_the_redacted_document_itself_is_open_to_petrov(world, petrov):
    document = petrov.get(f"{DB}/documents/{world['unid']}").json
    assert document["Body"] == "(изъято)" and "Readers" not in document


@pytest.mark.parametrize("which", [0, 1, 2])
def test_an_older_revision_hidden_by_its_readers_is_404_in_the_api_history(world, petrov, which):
    rev = world["hidden"][which]
    _same_as_never(petrov, f"{DB}/documents/{world['unid']}/history/{rev}", rev)


@pytest.mark.parametrize("which", [0, 1, 2])
def test_replication_get_with_rev_of_a_hidden_revision_is_404(world, petrov, which):
    rev = world["hidden"][which]
    _same_as_never(petrov, f"{REPLICA}/{world['unid']}?rev={rev}&revs=true", rev)


def test_replication_attachment_of_a_hidden_revision_is_404(world, petrov):
    rev = world["scanned"]
    _same_as_never(petrov, f"{REPLICA}/{world['unid']}/{quote(SCAN)}?rev={rev}", rev)


def test_open_revs_lists_hidden_revisions_as_missing(world, petrov):
    wanted = quote(json.dumps(world["hidden"] + world["open"]))
    answer = petrov.get(f"{REPLICA}/{world['unid']}?open_revs={wanted}&attachments=true").json
    assert answer[:3] == [{"missing": rev} for rev in world["hidden"]]
    assert [entry["ok"]["_rev"] for entry in answer[3:]] == world["open"]
    assert SECRET not in json.dumps(answer, ensure_ascii=False)


def test_open_revs_all_leaves_out_a_hidden_conflict(world, petrov, nurieva):
    path = f"{REPLICA}/{world['unid']}?open_revs=all"
    assert [entry["ok"]["_rev"] for entry in petrov.get(path).json] == [world["open"][1]]
    assert {entry["ok"]["_rev"] for entry in nurieva.get(path).json} == {world["open"][1], world["conflict"]}


def test_open_revs_in_multipart_sends_hidden_revisions_as_missing(world, petrov):
    wanted = quote(json.dumps(world["hidden"]))
    answer = petrov.get(f"{REPLICA}/{world['unid']}?open_revs={wanted}&attachments=true",
                        headers={"Accept": "multipart/mixed"})
    assert SECRET not in answer.text
    assert answer.text.count('{"missing": ') == 3


def test_bulk_get_of_a_hidden_revision_is_not_found(world, petrov):
    wanted = [{"id": world["unid"], "rev": rev} for rev in world["hidden"] + world["open"]]
    answer = petrov.post_json(f"{REPLICA}/_bulk_get?revs=true&attachments=true", {"docs": wanted}).json
    docs = [doc for result in answer["results"] for doc in result["docs"]]
    assert [doc["error"]["error"] for doc in docs[:3]] == ["not_found"] * 3
    assert [doc["ok"]["_rev"] for doc in docs[3:]] == world["open"]
    assert SECRET not in json.dumps(answer, ensure_ascii=False)


def test_bulk_get_with_latest_answers_a_hidden_ancestor_as_missing(world, petrov):
    wanted = [{"id": world["unid"], "rev": rev} for rev in (world["hidden"][0], world["open"][0])]
    answer = petrov.post_json(f"{REPLICA}/_bulk_get?latest=true", {"docs": wanted}).json
    docs = [doc for result in answer["results"] for doc in result["docs"]]
    assert docs[0]["error"]["error"] == "not_found"
    assert [doc["ok"]["_rev"] for doc in docs[1:]] == [world["open"][1]]
    assert SECRET not in json.dumps(answer, ensure_ascii=False)


def test_history_shows_a_hidden_revision_without_its_author_or_items(world, petrov):
    entries = petrov.get(f"{DB}/documents/{world['unid']}/history").json["history"]
    by_rev = {entry["@rev"]: entry for entry in entries}
    assert set(by_rev) == {*world["hidden"][:2], *world["open"]}
    for rev in world["hidden"][:2]:
        assert by_rev[rev] == {"@rev": rev, "@hidden": True}
    assert by_rev[world["open"][0]]["changed"]


def test_the_reader_named_in_an_older_revision_still_reads_it_everywhere(world, nurieva):
    unid, rev = world["unid"], world["scanned"]
    assert nurieva.get(f"{DB}/documents/{unid}/history/{rev}").json["Body"] == SECRET
    assert nurieva.get(f"{REPLICA}/{unid}?rev={rev}").json["Body"] == SECRET
    assert nurieva.get(f"{REPLICA}/{unid}/{quote(SCAN)}?rev={rev}").text == SECRET
    entries = nurieva.get(f"{DB}/documents/{unid}/history").json["history"]
    assert all("@hidden" not in entry for entry in entries)
    got = nurieva.post_json(f"{REPLICA}/_bulk_get", {"docs": [{"id": unid, "rev": world["conflict"]}]}).json
    assert got["results"][0]["docs"][0]["ok"]["Body"].startswith(SECRET)


def test_the_page_history_marks_hidden_revisions(world, petrov, nurieva):
    page = f"/db/documents/documents/{world['unid']}"
    petrov_page = petrov.get(page).text
    assert petrov_page.count('class="hidden-revision"') == 2 and "скрытая версия" in petrov_page
    assert "hidden-revision" not in nurieva.get(page).text


@pytest.mark.parametrize("keep", ["conflict", "winner"])
def test_resolving_a_conflict_with_a_hidden_side_is_403_and_changes_nothing(world, petrov, nurieva, keep):
    unid = world["unid"]
    rev = world["conflict"] if keep == "conflict" else world["open"][1]
    refused = petrov.post_json(f"{DB}/documents/{unid}/resolve", {"keep": rev}, status=403).json
    assert refused["error"] == "forbidden" and SECRET not in json.dumps(refused, ensure_ascii=False)
    assert nurieva.get(f"{DB}/documents/{unid}").json["@conflicts"] == [world["conflict"]]
    assert petrov.get(f"{DB}/documents/{unid}").json["@rev"] == world["open"][1]


@pytest.mark.parametrize("how", ["put", "delete", "attach", "form"])
def test_editing_a_hidden_conflict_branch_is_refused_as_an_unknown_revision(world, petrov, nurieva, how):
    unid, rev = world["unid"], world["conflict"]
    url = f"{DB}/documents/{unid}"
    if how == "put":
        answer = petrov.put_json(url, {"Form": "Memo", "Subject": "x"}, headers={"If-Match": rev},
                                 status=409)
    elif how == "delete":
        answer = petrov.delete(url, headers={"If-Match": rev}, status=409)
    elif how == "attach":
        answer = petrov.put(f"{url}/attachments/a.txt", b"x", status=409,
                            headers={"If-Match": rev, "Content-Type": "text/plain"})
    else:
        forms = petrov.get(f"/db/documents/documents/{unid}/edit").forms.values()
        form = next(form for form in forms if "rev" in form.fields)
        form["rev"] = rev
        answer = form.submit(status=409)
    if how != "form":
        never = petrov.put_json(url, {"Form": "Memo", "Subject": "x"}, headers={"If-Match": NEVER},
                                status=409)
        assert answer.json["error"] == never.json["error"] == "conflict"
    assert SECRET not in answer.text
    assert nurieva.get(f"{DB}/documents/{unid}").json["@conflicts"] == [world["conflict"]]
    assert petrov.get(url).json["@rev"] == world["open"][1]
