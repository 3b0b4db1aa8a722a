"""Every request is bounded in what it makes the server hold (issue 13, finding 3 and @Contains).

The replication questions count their entries and weigh their answer before
building it (413 naming the setting); the replicator asks in halves when an
answer is too large; formulas pay for the size of what they touch, so a
formula over huge texts stops within tens of milliseconds.
"""
from __future__ import annotations

import json
import time
from urllib.parse import quote

import pytest
from webtest import TestApp

from replication.peers import Peer, WsgiTransport
from replication.replicator import Replicator
from tests.conftest import ADMIN_PASSWORD, basic_client, memory_app
from views.formula import Environment, EvaluationError, compile_formula

ADMIN = ("admin", ADMIN_PASSWORD)
DOCS = "/api/databases/documents/documents"
R = "/replication/documents"
MEGABYTE = bytes(range(256)) * 4096


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One application with default settings, a document with a 1 MB file and a read-only token."""
    with memory_app(tmp_path_factory.mktemp("var")) as (app, _):
        api = basic_client(app, *ADMIN)
        made = api.post_json(DOCS, {"Form": "Memo", "Subject": "Скан договора"}).json
        rev = api.put(f"{DOCS}/{made['@unid']}/attachments/scan.pdf", MEGABYTE,
                      headers={"If-Match": made["@rev"], "Content-Type": "application/pdf"}).json["@rev"]
        token = api.post_json("/api/tokens", {"label": "только чтение", "readOnly": True}).json
        reader = TestApp(app)
        reader.authorization = ("Bearer", token["token"])
        yield {"app": app, "api": api, "reader": reader, "unid": made["@unid"], "rev": rev}


def _too_large(response, setting: str) -> None:
    assert response.status_int == 413
    assert response.json["error"] == "too_large" and setting in response.json["reason"]


# -- _bulk_get -----------------------------------------------------------------------------------------------

def test_bulk_get_of_one_file_repeated_300_times_is_413_before_it_is_built(shared):
    entry = {"id": shared["unid"], "rev": shared["rev"]}
    started = time.monotonic()
    refused = shared["reader"].post_json(f"{R}/_bulk_get?attachments=true&revs=true",
                                         {"docs": [entry] * 300}, status=413)
    assert time.monotonic() - started < 2
    _too_large(refused, "domus.max_answer_bytes")
    assert "67,108,864 bytes" in refused.json["reason"]


def test_bulk_get_of_a_few_entries_with_files_answers_each_once_asked(shared):
    entry = {"id": shared["unid"], "rev": shared["rev"]}
    missing = {"id": "F" * 32, "rev": "1-" + "0" * 32}
    answer = shared["reader"].post_json(f"{R}/_bulk_get?attachments=true",
                                        {"docs": [entry, missing, entry]}).json["results"]
    assert [result["id"] for result in answer] == [shared["unid"], "F" * 32, shared["unid"]]
    first, third = answer[0]["docs"][0]["ok"], answer[2]["docs"][0]["ok"]
    assert first == third and len(first["_attachments"]["scan.pdf"]["data"]) == 4 * (len(MEGABYTE) // 3 + 1)
    assert answer[1]["docs"][0]["error"]["error"] == "not_found"


def test_open_revs_naming_one_file_100_times_is_413_before_it_is_built(shared):
    wanted = quote(json.dumps([shared["rev"]] * 100))
    refused = shared["reader"].get(f"{R}/{shared['unid']}?open_revs={wanted}&attachments=true", status=413)
    _too_large(refused, "domus.max_answer_bytes")
    one = quote(json.dumps([shared["rev"]]))
    answer = shared["reader"].get(f"{R}/{shared['unid']}?open_revs={one}").json
    assert answer[0]["ok"]["_rev"] == shared["rev"]


def test_changes_whose_documents_outweigh_the_answer_limit_is_413(tmp_path):
    with memory_app(tmp_path, **{"domus.max_answer_bytes": "200000"}) as (app, _):
        api = basic_client(app, *ADMIN)
        api.post_json(DOCS, [{"Form": "Memo", "Subject": "Ж" * 4_000} for _ in range(30)])
        _too_large(api.get(f"{R}/_changes?include_docs=true", status=413), "domus.max_answer_bytes")
        assert len(api.get(f"{R}/_changes?include_docs=true&limit=10").json["results"]) == 10
        assert len(api.get(f"{R}/_changes").json["results"]) >= 30


def test_bulk_get_of_too_many_entries_is_413(shared):
    entries = [{"id": shared["unid"]}] * 10_001
    _too_large(shared["reader"].post_json(f"{R}/_bulk_get", {"docs": entries}, status=413),
               "domus.max_bulk_get_entries")


# -- _revs_diff, _all_docs, _bulk_docs ----------------------------------------------------------------------

def test_revs_diff_of_too_many_revisions_is_413(shared):
    revs = [f"1-{n:032x}" for n in range(100_001)]
    _too_large(shared["reader"].post_json(f"{R}/_revs_diff", {shared["unid"]: revs}, status=413),
               "domus.max_revs_diff_revisions")


def test_all_docs_with_too_many_keys_is_413_by_get_and_by_post(shared):
    keys = [shared["unid"]] * 10_001
    _too_large(shared["reader"].post_json(f"{R}/_all_docs", {"keys": keys}, status=413),
               "domus.max_all_docs_keys")
    query = '["' + '","'.join(["A"] * 10_001) + '"]'
    _too_large(shared["reader"].get(f"{R}/_all_docs", {"keys": query}, status=413),
               "domus.max_all_docs_keys")


def test_all_docs_whose_documents_outweigh_the_answer_limit_is_413(shared):
    big = shared["api"].post_json(DOCS, {"Form": "Memo", "Subject": "Ж" * 4_000}).json["@unid"]
    refused = shared["reader"].post_json(f"{R}/_all_docs?include_docs=true", {"keys": [big] * 10_000},
                                         status=413)
    _too_large(refused, "domus.max_answer_bytes")
    rows = shared["reader"].post_json(f"{R}/_all_docs?include_docs=true", {"keys": [big] * 3}).json["rows"]
    assert [row["doc"]["Subject"] for row in rows] == ["Ж" * 4_000] * 3


def test_bulk_docs_of_too_many_documents_is_413(shared):
    docs = [{"_id": f"{n:032X}", "_rev": f"1-{n:032x}"} for n in range(10_001)]
    refused = shared["api"].post_json(f"{R}/_bulk_docs", {"docs": docs, "new_edits": False}, status=413)
    _too_large(refused, "domus.max_bulk_documents")


# -- the replicator asks in halves -------------------------------------------------------------------------

def test_the_replicator_asks_in_halves_when_the_source_finds_the_answer_too_large(shared, tmp_path):
    """A source with a small ``domus.max_answer_bytes`` still gives every file, in smaller batches."""
    with memory_app(tmp_path / "small", **{"domus.max_answer_bytes": "200000"}) as (source, _), \
            memory_app(tmp_path / "target") as (copy, _):
        api = basic_client(source, *ADMIN)
        for n in range(12):
            made = api.post_json(DOCS, {"Form": "Memo", "Subject": f"скан {n}"}).json
            api.put(f"{DOCS}/{made['@unid']}/attachments/scan.bin", bytes([n]) * 40_000,
                    headers={"If-Match": made["@rev"], "Content-Type": "application/octet-stream"})
        replica_id = api.get("/api/databases/documents").json["replicaId"]
        target_api = basic_client(copy, *ADMIN)
        target_api.put(f"/replication/copy?replica_id={replica_id}&template=documents")
        report = Replicator(Peer(f"http://a{R}", WsgiTransport(source, ADMIN)),
                            Peer("http://b/replication/copy", WsgiTransport(copy, ADMIN))).run()
        assert report.failures == 0 and report.docs_written == 12
        rows = target_api.get("/replication/copy/_all_docs?include_docs=true").json["rows"]
        assert len({row["doc"]["_attachments"]["scan.bin"]["digest"] for row in rows}) == 12


# -- formulas pay for what they touch ----------------------------------------------------------------------

def _cpu_of(source: str, items: dict) -> tuple[float, object]:
    formula = compile_formula(source)
    started = time.process_time()
    try:
        result: object = formula.evaluate(Environment(items=items))
    except EvaluationError as error:
        result = error
    return time.process_time() - started, result


def test_contains_over_huge_texts_stops_within_50_ms():
    """The finding: each pair was one step, so 100,000 searches of 30,000 characters took seconds."""
    items = {"Body": ["a" * 29_999] * 100, "Parts": ["a" * 97 + "ba"] * 1_000}
    spent, result = _cpu_of("@Contains(Body; Parts)", items)
    assert isinstance(result, EvaluationError) and "steps" in str(result)
    assert spent < 0.05
    within = {"Body": "a" * 29_999, "Parts": ["a" * 97 + "ba"] * 80}  # just under the budget
    spent, result = _cpu_of("@Contains(Body; Parts)", within)
    assert result == [0] and spent < 0.1


@pytest.mark.parametrize("source, items", [
    ("B = C & " * 600 + "1", {"B": "a" * 4_000_000, "C": "a" * 4_000_000}),
    ('@Trim(B) = "" & ' * 500 + "1", {"B": " " * 8_000_000}),
    ('@Elements(@Explode(B; "a")) = 0 & ' * 250 + "1", {"B": "a" * 8_000_000}),
    ("@Elements(L) + " * 600 + "0", {"L": ["x"] * 1_000_000}),
    ("@Elements(@Unique(L)) + " * 400 + "0", {"L": ["a" * 1_000] * 10_000}),
], ids=["compare", "trim", "explode", "list-item", "unique"])
def test_operations_on_huge_values_pay_for_their_size(source, items):
    spent, result = _cpu_of(source, items)
    assert isinstance(result, EvaluationError) and "steps" in str(result)
    assert spent < 0.05


def test_a_formula_cannot_make_more_than_ten_million_characters_of_text():
    grow = ('t := "0123456789"; t := t+t+t+t+t+t+t+t+t+t; t := t+t+t+t+t+t+t+t+t+t; '
            "t := t+t+t+t+t+t+t+t+t+t; t := t+t+t+t+t+t+t+t+t+t; ")
    keep = "".join(f'v{n} := t + t + t + t + t + t + t + t + "{n}"; ' for n in range(20))
    spent, result = _cpu_of(grow + keep + "1", {})
    assert isinstance(result, EvaluationError) and "steps" in str(result)
