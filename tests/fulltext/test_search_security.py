"""Search says nothing of what the caller may not see, and one query cannot take the server
(issue 13, findings 8, 9 and the ``sort=`` part of 10), through the real endpoint."""
from __future__ import annotations

import pytest

from tests.conftest import ADMIN_PASSWORD, DOCS, add_people, basic_client, memory_app
from tests.fulltext.conftest import SEARCH, Indexer, search

DB = "/api/databases/documents"
PASSWORD = "Search-password-1"
MAX_EXPANSION = 150


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One application, a clerk and a boss, both Readers (users are slow to make: argon2)."""
    with memory_app(tmp_path_factory.mktemp("var"),
                    **{"domus.search_max_expansion": str(MAX_EXPANSION)}) as (app, _):
        api = basic_client(app, "admin", ADMIN_PASSWORD)
        add_people(api, ("clerk", "boss"), PASSWORD, "documents", "reader")
        clients = {"admin": api, **{name: basic_client(app, name, PASSWORD) for name in ("clerk", "boss")}}
        indexer = Indexer(app)
        yield clients, indexer
        indexer.close()


def _save(api, **items) -> dict:
    return api.post_json(DOCS, {"Form": "Memo", **items}).json


def _unids(answer: dict) -> list[str]:
    return [row["@unid"] for row in answer["rows"]]


# -- scores, totals and sorting over what the caller may see ----------------------------


def test_a_score_does_not_depend_on_hidden_documents(shared):
    clients, index_now = shared
    api, clerk = clients["admin"], clients["clerk"]
    _save(api, Subject="Жалоба: звонили с номера 89171234567 по поводу мансарды")
    index_now()
    before = search(clerk, "89171234567")
    assert before["total"] == 1
    for number in range(3):
        _save(api, Subject=f"Обращение {number}: номер 89171234567", Readers=["boss"])
    index_now()
    after = search(clerk, "89171234567")
    assert after == before  # the same row and the same score: nothing counts the hidden appeals
    assert search(clients["boss"], "89171234567")["total"] == 4


def test_the_total_follows_the_live_gate_beyond_the_page(shared):
    clients, index_now = shared
    api, clerk = clients["admin"], clients["clerk"]
    made = [_save(api, Subject=f"Записка {number} о водостоке") for number in range(3)]
    index_now()
    assert search(clerk, "водостоке", count=1)["total"] == 3
    last = made[-1]["@unid"]
    current = api.get(f"{DOCS}/{last}").json
    api.put_json(f"{DOCS}/{last}", {**current, "Readers": ["boss"]})  # the index has not seen it yet
    first_page = search(clerk, "водостоке", count=1, sort="created")
    assert first_page["total"] == 2 and last not in _unids(first_page)
    assert search(clerk, "водостоке", count=1, sort="-created")["total"] == 2
    assert search(clients["boss"], "водостоке", count=1)["total"] == 3
    api.delete(f"{DOCS}/{made[0]['@unid']}", headers={"If-Match": made[0]["@rev"]})
    assert search(clerk, "водостоке", count=1, sort="-created")["total"] == 1


def test_sorting_by_an_item_only_hidden_documents_hold_answers_as_for_an_absent_one(shared):
    clients, index_now = shared
    api, clerk = clients["admin"], clients["clerk"]
    _save(api, Subject="Открытая записка о фонтане")
    _save(api, Subject="Закрытая записка о фонтане", SecretCode="A-17", Readers=["boss"])
    index_now()
    held = clerk.get(SEARCH, params={"q": "фонтане", "sort": "SecretCode"})
    absent = clerk.get(SEARCH, params={"q": "фонтане", "sort": "NoSuchItem"})
    assert held.status_int == absent.status_int == 200
    assert held.json == absent.json and held.json["total"] == 1
    assert search(clients["boss"], "фонтане", sort="-SecretCode")["rows"][0]["SecretCode"] == "A-17"


# -- bounds of one query ---------------------------------------------------------------


def test_a_query_of_many_patterns_is_a_clear_400(shared):
    clients, _ = shared
    query = " OR ".join(f"*{letter}*" for letter in "абвгдежзиклмнопрстуфхцчшщыэюяxy")
    answer = clients["clerk"].get(SEARCH, params={"q": query}, status=400).json
    assert answer["error"] == "bad_request" and "31 patterns" in answer["message"]
    assert "at most 8" in answer["message"]


def test_patterns_that_together_stand_for_too_many_words_are_a_clear_400(shared):
    clients, index_now = shared
    api = clients["admin"]
    _save(api, Subject="перечень", Body=" ".join(f"q{number:04d}" for number in range(200)))
    index_now()
    assert search(api, "q00*")["total"] == 1  # a hundred words: within the bound
    answer = api.get(SEARCH, params={"q": "q00* OR q01*"}, status=400).json
    assert f"more than {MAX_EXPANSION} words together" in answer["message"]


@pytest.fixture
def settings(tmp_path) -> dict:
    """For the time bound: a query may take a microsecond."""
    return {"zodbconn.uri": "memory://", "domus.var_dir": str(tmp_path / "var"),
            "domus.search_max_seconds": "0.000001"}


def test_a_query_that_takes_longer_than_the_bound_is_a_clear_400(api, index_now):
    _save(api, Subject="Записка о крыльце")
    index_now()
    answer = api.get(SEARCH, params={"q": "крыльце"}, status=400).json
    assert answer["error"] == "bad_request" and "domus.search_max_seconds" in answer["message"]
