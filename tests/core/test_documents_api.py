"""The document API: create, read, update, delete, restore, bulk, listing."""
from __future__ import annotations

import re

from tests.conftest import DOCS


def test_create_returns_unid_of_32_uppercase_hex_and_first_revision(api):
    answer = api.post_json(DOCS, {"Form": "Memo", "Subject": "Тест"}, status=201).json
    assert re.fullmatch(r"[0-9A-F]{32}", answer["@unid"])
    assert re.fullmatch(r"1-[0-9a-f]{32}", answer["@rev"])


def test_get_shows_items_at_top_level_and_metadata_under_at_keys(api, memo):
    document = api.get(f"{DOCS}/{memo['@unid']}").json
    assert document["Subject"] == "О ремонте кровли"
    assert document["Pages"] == 2
    assert document["@rev"] == memo["@rev"]
    assert document["@updatedBy"] == "admin"
    assert document["@created"] == document["@modified"]
    assert "@conflicts" not in document


def test_get_sends_revision_as_etag(api, memo):
    response = api.get(f"{DOCS}/{memo['@unid']}")
    assert response.headers["ETag"] == f'"{memo["@rev"]}"'


def test_get_with_current_etag_is_304_without_body(api, memo):
    url = f"{DOCS}/{memo['@unid']}"
    response = api.get(url, headers={"If-None-Match": f'"{memo["@rev"]}"'}, status=304)
    assert response.body == b""
    api.get(url, headers={"If-None-Match": '"1-00"'}, status=200)


def test_put_with_current_rev_makes_next_revision(api, memo):
    url = f"{DOCS}/{memo['@unid']}"
    answer = api.put_json(url, {"Form": "Memo", "Subject": "Изменено"},
                          headers={"If-Match": memo["@rev"]}).json
    assert answer["@rev"].startswith("2-")
    assert api.get(url).json["Subject"] == "Изменено"


def test_put_accepts_rev_in_body(api, memo):
    url = f"{DOCS}/{memo['@unid']}"
    answer = api.put_json(url, {"@rev": memo["@rev"], "Form": "Memo", "Subject": "x"}).json
    assert answer["@rev"].startswith("2-")


def test_put_with_stale_rev_is_409_and_changes_nothing(api, memo):
    url = f"{DOCS}/{memo['@unid']}"
    second = api.put_json(url, {"Form": "Memo", "Subject": "B"}, headers={"If-Match": memo["@rev"]}).json
    refused = api.put_json(url, {"Form": "Memo", "Subject": "C"},
                           headers={"If-Match": memo["@rev"]}, status=409).json
    assert refused["error"] == "conflict"
    assert refused["current"] == second["@rev"]
    assert api.get(url).json["Subject"] == "B"


def test_put_with_forged_rev_is_409(api, memo):
    url = f"{DOCS}/{memo['@unid']}"
    forged = "1-" + "0" * 32
    api.put_json(url, {"Subject": "x"}, headers={"If-Match": forged}, status=409)
    assert api.get(url).json["@rev"] == memo["@rev"]


def test_put_with_malformed_rev_is_400(api, memo):
    answer = api.put_json(f"{DOCS}/{memo['@unid']}", {"Subject": "x"},
                          headers={"If-Match": "banana"}, status=400).json
    assert "malformed revision" in answer["message"]


def test_put_without_rev_is_409(api, memo):
    api.put_json(f"{DOCS}/{memo['@unid']}", {"Subject": "x"}, status=409)


def test_same_edit_gives_same_revision_id(api):
    first = api.post_json(DOCS, {"@unid": "A" * 32, "Subject": "same"}).json
    second = api.post_json(DOCS, {"@unid": "B" * 32, "Subject": "same"}).json
    assert first["@rev"] == second["@rev"]


def test_delete_leaves_a_stub_and_get_says_deleted(api, memo):
    url = f"{DOCS}/{memo['@unid']}"
    answer = api.delete(url, headers={"If-Match": memo["@rev"]}).json
    assert answer["@deleted"] is True
    assert api.get(url, status=404).json["error"] == "deleted"
    assert api.get("/api/databases/documents").json["documents"] == 0


def test_delete_with_stale_rev_is_409(api, memo):
    url = f"{DOCS}/{memo['@unid']}"
    api.put_json(url, {"Subject": "B"}, headers={"If-Match": memo["@rev"]})
    api.delete(url, headers={"If-Match": memo["@rev"]}, status=409)
    assert api.get(url).json["Subject"] == "B"


def test_restore_brings_back_items_of_last_live_revision(api, memo):
    url = f"{DOCS}/{memo['@unid']}"
    api.delete(url, headers={"If-Match": memo["@rev"]})
    restored = api.post(f"{url}/restore").json
    document = api.get(url).json
    assert document["@rev"] == restored["@rev"]
    assert document["Subject"] == "О ремонте кровли"
    assert api.get("/api/databases/documents").json["documents"] == 1


def test_restore_of_live_document_is_400(api, memo):
    api.post(f"{DOCS}/{memo['@unid']}/restore", status=400)


def test_update_of_deleted_document_is_refused(api, memo):
    url = f"{DOCS}/{memo['@unid']}"
    stub = api.delete(url, headers={"If-Match": memo["@rev"]}).json
    api.put_json(url, {"Subject": "x"}, headers={"If-Match": stub["@rev"]}, status=404)


def test_bulk_post_creates_all_in_one_answer(api):
    answer = api.post_json(DOCS, [{"Form": "Memo", "N": n} for n in range(5)], status=201).json
    assert len(answer) == 5
    assert len({row["@unid"] for row in answer}) == 5
    assert api.get("/api/databases/documents").json["documents"] == 5


def test_bulk_post_with_one_bad_document_writes_nothing_and_names_it(api):
    answer = api.post_json(DOCS, [{"N": 1}, {"N": 2}, {"$bad": 3}], status=400).json
    assert answer["index"] == 2
    assert answer["message"].startswith("document 2:")
    assert api.get("/api/databases/documents").json["documents"] == 0
    assert api.get("/api/databases/documents/changes").json["results"] == []


def test_empty_bulk_post_is_400(api):
    assert "empty" in api.post_json(DOCS, [], status=400).json["message"]


def test_bulk_post_over_the_limit_is_413(app, api):
    app.registry.settings["domus.max_bulk_documents"] = 3
    api.post_json(DOCS, [{"N": n} for n in range(4)], status=413)
    assert api.get("/api/databases/documents").json["documents"] == 0


def test_listing_pages_by_key(api):
    created = sorted(row["@unid"] for row in api.post_json(DOCS, [{"N": n} for n in range(7)]).json)
    first = api.get(DOCS, {"limit": 3}).json
    assert [row["@unid"] for row in first["rows"]] == created[:3]
    assert first["total"] == 7
    second = api.get(DOCS, {"limit": 3, "startkey": first["next"]}).json
    assert [row["@unid"] for row in second["rows"]] == created[3:6]
    last = api.get(DOCS, {"limit": 3, "startkey": second["next"]}).json
    assert [row["@unid"] for row in last["rows"]] == created[6:]
    assert last["next"] is None


def test_listing_skips_deleted_documents_and_can_include_docs(api, memo):
    other = api.post_json(DOCS, {"Subject": "keep"}).json
    api.delete(f"{DOCS}/{memo['@unid']}", headers={"If-Match": memo["@rev"]})
    rows = api.get(DOCS, {"include_docs": "true"}).json["rows"]
    assert [row["@unid"] for row in rows] == [other["@unid"]]
    assert rows[0]["Subject"] == "keep"


def test_response_documents_are_listed_under_their_parent(api, memo):
    parent = memo["@unid"]
    child = api.post_json(DOCS, {"Form": "Resolution", "Text": "В работу", "@parent": parent}).json
    api.post_json(DOCS, {"Form": "Memo", "Subject": "unrelated"})
    rows = api.get(f"{DOCS}/{parent}/responses").json["rows"]
    assert [row["@unid"] for row in rows] == [child["@unid"]]
    assert rows[0]["@parent"] == parent


def test_deleted_response_leaves_the_parent_listing(api, memo):
    child = api.post_json(DOCS, {"Text": "x", "@parent": memo["@unid"]}).json
    api.delete(f"{DOCS}/{child['@unid']}", headers={"If-Match": child["@rev"]})
    assert api.get(f"{DOCS}/{memo['@unid']}/responses").json["rows"] == []


def test_response_to_unknown_parent_is_404(api):
    api.post_json(DOCS, {"Text": "x", "@parent": "F" * 32}, status=404)


def test_history_lists_revisions_newest_first_with_changed_items(api, memo):
    url = f"{DOCS}/{memo['@unid']}"
    second = api.put_json(url, {"Form": "Memo", "Subject": "Новое", "Pages": 2},
                          headers={"If-Match": memo["@rev"]}).json
    history = api.get(f"{url}/history").json["history"]
    assert [entry["@rev"] for entry in history] == [second["@rev"], memo["@rev"]]
    assert history[0]["changed"] == ["Subject"]
    assert history[1]["changed"] == ["Form", "Pages", "Subject"]
    assert all(entry["@updatedBy"] == "admin" for entry in history)


def test_history_revision_returns_the_old_items(api, memo):
    url = f"{DOCS}/{memo['@unid']}"
    api.put_json(url, {"Subject": "Новое"}, headers={"If-Match": memo["@rev"]})
    old = api.get(f"{url}/history/{memo['@rev']}").json
    assert old["Subject"] == "О ремонте кровли"
    assert old["@rev"] == memo["@rev"]
    api.get(f"{url}/history/9-{'a' * 32}", status=404)


def test_history_of_deleted_document_stays_readable(api, memo):
    url = f"{DOCS}/{memo['@unid']}"
    api.delete(url, headers={"If-Match": memo["@rev"]})
    history = api.get(f"{url}/history").json["history"]
    assert history[0]["@deleted"] is True
    assert history[1]["@rev"] == memo["@rev"]


def test_client_chosen_unid_must_be_32_hex(api):
    api.post_json(DOCS, {"@unid": "../../etc", "Subject": "x"}, status=400)
    api.post_json(DOCS, {"@unid": "a" * 32, "Subject": "x"}, status=201)
    api.post_json(DOCS, {"@unid": "A" * 32, "Subject": "x"}, status=409)
