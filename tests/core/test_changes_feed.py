"""The changes feed: ordered, one row per document, longpoll wakes on commit."""
from __future__ import annotations

import threading
import time

from tests.conftest import DOCS

FEED = "/api/databases/documents/changes"


def test_each_document_appears_once_at_its_latest_change(api):
    a = api.post_json(DOCS, {"N": 1}).json
    b = api.post_json(DOCS, {"N": 2}).json
    a2 = api.put_json(f"{DOCS}/{a['@unid']}", {"N": 3}, headers={"If-Match": a["@rev"]}).json
    results = api.get(FEED).json["results"]
    assert [row["id"] for row in results] == [b["@unid"], a["@unid"]]
    assert results[1]["changes"] == [{"rev": a2["@rev"]}]
    assert results[0]["seq"] < results[1]["seq"]


def test_since_and_limit_page_through_the_feed(api):
    unids = [row["@unid"] for row in api.post_json(DOCS, [{"N": n} for n in range(5)]).json]
    first = api.get(FEED, {"limit": 2}).json
    rest = api.get(FEED, {"since": first["last_seq"]}).json
    assert [r["id"] for r in first["results"] + rest["results"]] == unids
    assert api.get(FEED, {"since": rest["last_seq"]}).json["results"] == []


def test_deletions_appear_with_deleted_flag(api, memo):
    api.delete(f"{DOCS}/{memo['@unid']}", headers={"If-Match": memo["@rev"]})
    results = api.get(FEED).json["results"]
    assert results[-1]["id"] == memo["@unid"]
    assert results[-1]["deleted"] is True


def test_longpoll_returns_at_once_when_changes_exist(api, memo):
    started = time.monotonic()
    answer = api.get(FEED, {"feed": "longpoll", "timeout": 5000}).json
    assert answer["results"][0]["id"] == memo["@unid"]
    assert time.monotonic() - started < 2


def test_longpoll_times_out_empty(api, memo):
    last = api.get(FEED).json["last_seq"]
    started = time.monotonic()
    answer = api.get(FEED, {"feed": "longpoll", "since": last, "timeout": 300}).json
    assert answer == {"results": [], "last_seq": last}
    assert 0.25 < time.monotonic() - started < 3


def test_longpoll_wakes_when_another_request_commits(api, memo):
    last = api.get(FEED).json["last_seq"]
    written = {}

    def write_later():
        time.sleep(0.3)
        written.update(api.post_json(DOCS, {"Subject": "late"}).json)

    writer = threading.Thread(target=write_later)
    writer.start()
    started = time.monotonic()
    answer = api.get(FEED, {"feed": "longpoll", "since": last, "timeout": 10000}).json
    writer.join()
    assert [row["id"] for row in answer["results"]] == [written["@unid"]]
    assert time.monotonic() - started < 5


def test_aborted_write_leaves_no_trace_in_the_feed(api):
    before = api.get(FEED).json["last_seq"]
    api.post_json(DOCS, [{"N": 1}, {"_bad": 1}], status=400)
    assert api.get(FEED).json["last_seq"] == before
    assert api.get("/api/databases/documents").json["updateSeq"] == before
