"""``GET /api/databases/{db}/search`` through the real application, indexed by the real worker."""
from __future__ import annotations

import shutil
from urllib.parse import quote

import pytest
from webtest import TestApp

from tests.conftest import DOCS
from tests.fulltext.conftest import SEARCH, search
from tests.fulltext.files import corrupt_pdf, docx_with_text, pdf_with_text, zip_bomb
from views.fulltext.query import MAX_EXPANSION

DB = "/api/databases/documents"
PASSWORD = "Search-password-1"


def _save(api, **items) -> dict:
    return api.post_json(DOCS, {"Form": "Memo", **items}).json


def _attach(api, saved: dict, name: str, data: bytes, content_type: str) -> dict:
    return api.put(f"{DOCS}/{saved['@unid']}/attachments/{quote(name)}", data,
                   headers={"If-Match": saved["@rev"], "Content-Type": content_type}).json


@pytest.fixture
def appeals(api, index_now) -> dict[str, dict]:
    saved = {
        "yard": _save(api, Subject="Обращения граждан о благоустройстве дворов", Dept="Управление ЖКХ",
                      Pages=4),
        "roof": _save(api, Subject="О ремонте кровли", Body="Кровля течёт, ремонт кровли не проведён",
                      Dept="Управление ЖКХ", Pages=2),
        "roof2": _save(api, Subject="Кровельные работы", Body="График ремонта кровли на 2027 год",
                       Dept="Комитет благоустройства", Pages=9),
        "letter": api.post_json(DOCS, {"Form": "Incoming", "Subject": "Письмо о ремонте кровли школы",
                                       "Correspondent": "Управление образования"}).json,
        "english": _save(api, Subject="Streetlights on Baumana street are broken", Pages=1),
    }
    index_now()
    return saved


def _unids(answer: dict) -> list[str]:
    return [row["@unid"] for row in answer["rows"]]


def test_an_inflected_query_finds_the_appeal_with_a_highlighted_snippet(api, appeals):
    answer = search(api, "обращение по благоустройству двора")
    assert answer["total"] == 1 and _unids(answer) == [appeals["yard"]["@unid"]]
    row = answer["rows"][0]
    assert row["Subject"] == "Обращения граждан о благоустройстве дворов" and row["@score"] > 0
    assert "<mark>благоустройстве</mark> <mark>дворов</mark>" in row["@snippet"]
    assert "<mark>Обращения</mark>" in row["@snippet"]


def test_results_come_by_relevance_with_the_total(api, appeals):
    answer = search(api, "ремонт кровли")
    assert answer["total"] == 3
    assert _unids(answer)[0] == appeals["roof"]["@unid"]  # says it three times
    assert [row["@score"] for row in answer["rows"]] == sorted(
        (row["@score"] for row in answer["rows"]), reverse=True)


def test_items_forms_operators_phrases_wildcards_and_fuzzy_words(api, appeals):
    def found(q: str) -> set[str]:
        return set(_unids(search(api, q, count=100)))

    unid = {name: saved["@unid"] for name, saved in appeals.items()}
    assert found("Subject:кровли") == {unid["roof"], unid["letter"]}
    assert found("subject:КРОВЛЯ") == found("Subject:кровли")  # item names in any case
    assert found("Subject:кров*") == {unid["roof"], unid["roof2"], unid["letter"]}
    assert found("Dept:жкх Subject:кравли~") == {unid["roof"]}
    assert found("Subject:*") == set(unid.values())
    assert found("form:incoming") == {unid["letter"]}
    assert found("кровли NOT Subject:письмо") == {unid["roof"], unid["roof2"]}
    assert found("благоустройства OR streetlight") == {unid["yard"], unid["roof2"], unid["english"]}
    assert found('"ремонт кровли"') == {unid["roof"], unid["roof2"], unid["letter"]}
    assert found('"кровли ремонт"') == set()
    assert found('"кровля течёт ремонт"') == {unid["roof"]} and found('"течёт кровля ремонт"') == set()
    assert found("кровел*") == {unid["roof2"]}
    assert found("кровлы~") == {unid["roof"], unid["roof2"], unid["letter"]}
    assert found("BROKEN streetlight") == {unid["english"]}


def test_results_by_an_item_ascending_and_descending_and_by_date(api, appeals):
    ascending = search(api, "кровли", sort="Pages")  # without the item first, as Domino sorts
    assert [row.get("Pages") for row in ascending["rows"]] == [None, 2, 9] and ascending["total"] == 3
    assert "@score" not in ascending["rows"][0]
    descending = search(api, "form:memo", sort="-Pages")
    assert [row["Pages"] for row in descending["rows"]] == [9, 4, 2, 1]
    subjects = [row["Subject"] for row in search(api, "кровли", sort="Subject")["rows"]]
    assert subjects == sorted(subjects, key=str.casefold)
    created = _unids(search(api, "кровли", sort="-created"))
    assert created[0] == appeals["letter"]["@unid"]


def test_pages_of_results_keep_the_total(api, appeals):
    everything = _unids(search(api, "кровли OR благоустройство OR streetlight", count=100))
    first = search(api, "кровли OR благоустройство OR streetlight", count=2)
    second = search(api, "кровли OR благоустройство OR streetlight", count=2, start=2)
    assert first["total"] == second["total"] == len(everything) == 5
    assert _unids(first) + _unids(second) == everything[:4]
    assert second["start"] == 2


def test_search_within_a_view_keeps_only_its_documents(api, appeals):
    within = search(api, "кровли", view="MemosByDept")
    assert within["total"] == 2 and appeals["letter"]["@unid"] not in _unids(within)
    assert search(api, "кровли", view="IncomingByDate")["total"] == 1
    api.get(SEARCH, params={"q": "кровли", "view": "NoSuchView"}, status=404)


def test_html_in_items_is_escaped_in_snippets(api, index_now):
    _save(api, Subject='Жалоба <script>alert("кровля")</script> на кровлю')
    index_now()
    snippet = search(api, "кровля")["rows"][0]["@snippet"]
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet


def test_edits_and_deletions_reach_the_index(api, appeals, index_now):
    roof = appeals["roof"]
    current = api.get(f"{DOCS}/{roof['@unid']}").json
    edited = api.put_json(f"{DOCS}/{roof['@unid']}", {**current, "Subject": "О покраске фасада",
                                                        "Body": "фасад"}).json
    index_now()
    assert roof["@unid"] not in _unids(search(api, "кровли"))
    assert _unids(search(api, "фасада")) == [roof["@unid"]]
    api.delete(f"{DOCS}/{roof['@unid']}", headers={"If-Match": edited["@rev"]})
    assert search(api, "фасада")["total"] == 0  # before the indexer: the stored document decides
    index_now()
    assert search(api, "фасада")["total"] == 0


def test_attachments_are_searched_and_broken_ones_leave_the_document_indexed(api, index_now, caplog):
    scanned = _save(api, Subject="Входящее письмо со сканом")
    _attach(api, scanned, "scan.pdf", pdf_with_text("Roof leaking over flat 12"), "application/pdf")
    draft = _save(api, Subject="Проект ответа")
    _attach(api, draft, "проект.docx", docx_with_text("Согласовано переоборудование котельной"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    broken = _save(api, Subject="Заявление с испорченным файлом")
    broken = _attach(api, broken, "broken.pdf", corrupt_pdf(), "application/pdf")
    _attach(api, broken, "bomb.docx", zip_bomb(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    index_now()
    assert _unids(search(api, "leaking"))[0] == scanned["@unid"]
    assert "<mark>leaking</mark>" in search(api, "leaking")["rows"][0]["@snippet"]  # the PDF's text
    assert _unids(search(api, "котельная"))[0] == draft["@unid"]
    assert _unids(search(api, "испорченный файл")) == [broken["@unid"]]
    assert _unids(search(api, "files:bomb.docx")) == [broken["@unid"]]
    assert "broken.pdf" in caplog.text and "zip bomb" in caplog.text


# -- the gate ------------------------------------------------------------------


@pytest.fixture
def people(app, api) -> dict[str, TestApp]:
    for name in ("clerk", "boss"):
        api.post_json("/api/databases/directory/documents",
                      {"Form": "Person", "UserName": name, "FullName": name, "Password": PASSWORD})
    acl = api.get(f"{DB}/acl").json
    acl["entries"] += [{"name": name, "type": "person", "level": "reader", "roles": []}
                       for name in ("clerk", "boss")]
    api.put_json(f"{DB}/acl", acl)
    clients = {}
    for name in ("clerk", "boss"):
        clients[name] = TestApp(app)
        clients[name].authorization = ("Basic", (name, PASSWORD))
    return clients


def test_hidden_documents_are_neither_shown_nor_counted(api, people, index_now):
    _save(api, Subject="Открытая записка о кровле")
    secret = _save(api, Subject="Секретная записка о кровле", Readers=["boss"])
    index_now()
    for client in (people["clerk"], api):  # the administrator is not in Readers either
        answer = search(client, "кровле")
        assert answer["total"] == 1 and secret["@unid"] not in _unids(answer)
        assert "Секретная" not in str(answer)
        assert search(client, "секретная")["total"] == 0
        assert search(client, f"unid:{secret['@unid']}") == search(client, "unid:" + "0" * 32)
    assert search(people["boss"], "кровле")["total"] == 2
    assert _unids(search(people["boss"], "секретная")) == [secret["@unid"]]


def test_a_document_hidden_after_it_was_indexed_is_hidden_at_once(api, people, index_now):
    made = _save(api, Subject="Записка о кровле")
    index_now()
    assert search(people["clerk"], "кровле")["total"] == 1
    current = api.get(f"{DOCS}/{made['@unid']}").json
    api.put_json(f"{DOCS}/{made['@unid']}", {**current, "Readers": ["boss"]})
    assert search(people["clerk"], "кровле") == {"total": 0, "start": 0, "rows": []}


def test_search_needs_reader_access(anonymous):
    anonymous.get(SEARCH, params={"q": "кровля"}, status=401)


# -- bad input -------------------------------------------------------------------


@pytest.mark.parametrize("q, words", [
    ("ремонт AND (кровли", "'(' at position 12 is never closed"),
    ("ремонт кровли)", "')' at position 14 closes nothing"),
    ('"ремонт кровли', "quote at position 1 is never closed"),
    ("кровли AND", "AND at position 8 has nothing after it"),
    ("OR кровли", "OR at position 1 has nothing before it"),
    ("кровли AND OR двор", "AND at position 8 has nothing after it"),
    ("Subject:", "names an item but no word"),
    ("Pages:[1 TO", "'[' at position 7 is never closed"),
    ("", "parameter 'q' is required"),
])
def test_query_syntax_errors_are_a_clear_400(api, appeals, q, words):
    answer = api.get(SEARCH, params={"q": q}, status=400).json
    assert answer["error"] == "bad_request" and words in answer["message"], answer


def test_a_phrase_in_an_item_is_a_clear_400(api, appeals):
    answer = api.get(SEARCH, params={"q": 'Subject:"ремонт кровли"'}, status=400).json
    assert "phrases are searched in the whole text" in answer["message"]
    assert search(api, "Subject:(ремонт кровли)")["total"] == 2


def test_a_100_kb_query_is_refused(api, appeals):
    answer = api.get(SEARCH, params={"q": "кровля " * 14_000}, status=400).json
    assert "at most 1000" in answer["message"]


def test_a_wildcard_over_the_whole_vocabulary_is_bounded(api, index_now):
    words = " ".join(f"w{n:05d}" for n in range(MAX_EXPANSION + 200))
    _save(api, Subject="словарь", Body=words)
    index_now()
    assert search(api, "w0001*")["total"] == 1  # ten words: fine
    answer = api.get(SEARCH, params={"q": "w*"}, status=400).json
    assert f"more than {MAX_EXPANSION} words" in answer["message"]
    assert api.get(SEARCH, params={"q": "*w*"}, status=400).json["error"] == "bad_request"


@pytest.mark.parametrize("params, words", [
    ({"sort": "no such item"}, "cannot sort by 'no such item'"),
    ({"start": "-1"}, "'start' must be"),
    ({"count": "abc"}, "'count' must be a whole number"),
    ({"count": "100000"}, "'count' must be"),
])
def test_bad_parameters_are_a_clear_400(api, appeals, params, words):
    answer = api.get(SEARCH, params={"q": "кровли", **params}, status=400).json
    assert words in answer["message"], answer


def test_an_empty_database_answers_at_once(api):
    assert search(api, "кровля") == {"total": 0, "start": 0, "rows": []}
    api.get(SEARCH, params={"q": "(("}, status=400)


# -- the index on disk -------------------------------------------------------------


def test_an_index_deleted_under_the_server_is_rebuilt_and_says_so_meanwhile(app, api, appeals,
                                                                            index_now):
    shutil.rmtree(app.registry.fulltext.folder("documents"))
    answer = api.get(SEARCH, params={"q": "кровли"}, status=503).json
    assert answer["error"] == "index_rebuilding" and "being rebuilt" in answer["message"]
    assert answer["progress"]["done"] == 0 and answer["progress"]["total"] > 0
    index_now()
    assert search(api, "кровли")["total"] == 3
