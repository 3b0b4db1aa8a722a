"""Reading the templates' views and changing views at run time, through the HTTP API."""
from __future__ import annotations

import pytest
from webtest import TestApp

from core.root import server_root
from tests.conftest import DOCS
from views import catalog

VIEWS = "/api/databases/documents/views"
DESIGN = "/api/databases/documents/design/views"
MEMOS = [
    ("Управление ЖКХ", "О ремонте кровли", 3), ("Управление ЖКХ", "Об уборке снега", 2),
    ("Финансовое управление", "О смете на 2027 год", 7), ("Управление образования", "О ремонте школ", 1),
    ("Управление ЖКХ", "О вывозе мусора", 4),
]


@pytest.fixture
def memos(api) -> list[dict]:
    return [api.post_json(DOCS, {"Form": "Memo", "Dept": dept, "Subject": subject, "Pages": pages}).json
            for dept, subject, pages in MEMOS]


def _build_pending(app) -> None:
    """What the worker does in the background, run to the end here."""
    connection = app.registry.zodb.open()
    try:
        for database in server_root(connection).databases.values():
            for name in list(catalog.catalog_of(database).builds.keys()):
                while not catalog.build_step(database, name):
                    pass
        connection.transaction_manager.commit()
    finally:
        connection.close()


def test_the_templates_views_are_listed_and_ready(api):
    views = {v["name"]: v for v in api.get(VIEWS).json["views"]}
    assert {"IncomingByDate", "MemosByDept", "AllByForm"} <= set(views)
    assert views["MemosByDept"]["categorized"] and views["MemosByDept"]["state"] == "ready"


def test_a_categorised_view_collapses_to_categories_with_counts_and_totals(api, memos):
    page = api.get(f"{VIEWS}/MemosByDept").json
    assert page["total"] == 5 and page["categories"] == 3
    assert [(r["@category"], r["@count"], r["Pages"]) for r in page["rows"]] == [
        ("Управление ЖКХ", 3, 9), ("Управление образования", 1, 1), ("Финансовое управление", 1, 7)]


def test_a_category_opens_to_its_documents_sorted(api, memos):
    page = api.get(f"{VIEWS}/MemosByDept", {"category": "Управление ЖКХ"}).json
    assert page["total"] == 3
    assert [r["Subject"] for r in page["rows"]] == ["О вывозе мусора", "О ремонте кровли", "Об уборке снега"]
    assert [r["@position"] for r in page["rows"]] == ["1", "2", "3"]
    assert all(set(r) >= {"@unid", "Dept", "Subject", "Pages"} for r in page["rows"])


def test_expand_interleaves_categories_and_documents(api, memos):
    rows = api.get(f"{VIEWS}/MemosByDept", {"expand": "true"}).json["rows"]
    assert [r.get("@category") or r["Subject"] for r in rows][:5] == [
        "Управление ЖКХ", "О вывозе мусора", "О ремонте кровли", "Об уборке снега",
        "Управление образования"]


def test_paging_descending_and_keys(api, memos):
    first = api.get(f"{VIEWS}/MemosByDept", {"expand": "true", "count": 2}).json["rows"]
    second = api.get(f"{VIEWS}/MemosByDept", {"expand": "true", "count": 2, "start": 2}).json["rows"]
    docs = [r["Subject"] for r in first + second if "Subject" in r]
    assert docs == ["О вывозе мусора", "О ремонте кровли", "Об уборке снега", "О ремонте школ"]
    backwards = api.get(f"{VIEWS}/MemosByDept", {"category": "Управление ЖКХ", "descending": "true"}).json
    assert [r["Subject"] for r in backwards["rows"]] == ["Об уборке снега", "О ремонте кровли",
                                                        "О вывозе мусора"]
    keyed = api.get(f"{VIEWS}/MemosByDept", {"key": "Финансовое управление", "expand": "true"}).json
    assert [r["Subject"] for r in keyed["rows"] if "Subject" in r] == ["О смете на 2027 год"]
    started = api.get(f"{VIEWS}/MemosByDept", {"startkey": "Управление о", "expand": "true"}).json
    assert started["total"] == 2


def test_paging_beyond_the_end_is_empty_not_an_error(api, memos):
    page = api.get(f"{VIEWS}/MemosByDept", {"category": "Управление ЖКХ", "start": 100}).json
    assert page == {**page, "total": 3, "rows": []}


@pytest.mark.parametrize("params", [
    {"start": "-1"}, {"count": "0"}, {"count": "100000"}, {"expand": "maybe"}, {"start": "x"},
    {"key": "к" * 2000},
])
def test_malformed_parameters_are_400(api, memos, params):
    assert api.get(f"{VIEWS}/MemosByDept", params, status=400).json["error"] == "bad_request"


def test_unknown_view_is_404(api):
    api.get(f"{VIEWS}/NoSuchView", status=404)
    api.get(f"{VIEWS}/..%2F..%2Fetc", status=404)
    api.put_json(f"{DESIGN}/bad%20name!", {"columns": [{"name": "A"}]}, status=422)


def test_saves_update_the_view_in_the_same_transaction(api, memos):
    memo = api.get(f"{DOCS}/{memos[2]['@unid']}").json
    api.put_json(f"{DOCS}/{memo['@unid']}", {**memo, "Dept": "Управление ЖКХ"})
    counts = {r["@category"]: r["@count"] for r in api.get(f"{VIEWS}/MemosByDept").json["rows"]}
    assert counts == {"Управление ЖКХ": 4, "Управление образования": 1}
    api.delete(f"{DOCS}/{memos[3]['@unid']}", headers={"If-Match": memos[3]["@rev"]})
    assert api.get(f"{VIEWS}/MemosByDept").json["total"] == 4


def test_responses_appear_under_their_parent(api):
    letter = api.post_json(DOCS, {"Form": "Incoming", "RegDate": "2026-11-20", "Subject": "Письмо"}).json
    api.post_json(DOCS, {"Form": "Incoming", "RegDate": "2026-11-24", "Subject": "Другое"})
    api.post_json(DOCS, {"Form": "Resolution", "@parent": letter["@unid"], "Text": "В работу"})
    rows = api.get(f"{VIEWS}/IncomingByDate").json["rows"]
    assert [(r["@position"], r["@unid"] == letter["@unid"]) for r in rows] == [
        ("1", False), ("2", True), ("2.1", False)]


def test_rows_the_caller_may_not_read_are_neither_shown_nor_counted(app, api, memos):
    api.post_json(DOCS, {"Form": "Memo", "Dept": "Секретариат", "Subject": "Секретно",
                         "Readers": ["admin"]})
    api.post_json("/api/databases/directory/documents", {
        "Form": "Person", "UserName": "clerk", "FullName": "Clerk", "Password": "Clerk-password-1"})
    clerk = TestApp(app)
    clerk.authorization = ("Basic", ("clerk", "Clerk-password-1"))
    for client, total, categories in ((api, 6, 4), (clerk, 5, 3)):
        page = client.get(f"{VIEWS}/MemosByDept").json
        assert (page["total"], page["categories"]) == (total, categories)
    assert "Секретно" not in clerk.get(f"{VIEWS}/MemosByDept", {"expand": "true"}).text
    assert "Секретариат" not in clerk.get(f"{VIEWS}/MemosByDept").text
    # A hidden memo in a department the clerk sees: its pages leave the clerk's totals too.
    api.post_json(DOCS, {"Form": "Memo", "Dept": "Управление ЖКХ", "Subject": "Закрытая",
                         "Pages": 100, "Readers": ["admin"]})
    totals = {client: {r["@category"]: (r["@count"], r["Pages"])
                       for r in client.get(f"{VIEWS}/MemosByDept").json["rows"]} for client in (api, clerk)}
    assert totals[api]["Управление ЖКХ"] == (4, 109)
    assert totals[clerk]["Управление ЖКХ"] == (3, 9)


def test_a_designer_adds_a_view_that_builds_while_it_is_read(app, api, memos):
    view = {"title": {"ru": "Записки по листам", "en": "Memos by pages"},
            "selection": 'Form = "Memo" & Pages >= 2',
            "columns": [{"name": "Pages", "value": "Pages", "sort": "descending"},
                        {"name": "Subject", "value": "Subject"}]}
    answer = api.put_json(f"{DESIGN}/ByPages", view, status=202).json
    assert answer["state"] == "building" and answer["progress"]["total"] == 5
    assert api.get(f"{VIEWS}/ByPages").json["rows"] == []
    _build_pending(app)
    rows = api.get(f"{VIEWS}/ByPages").json["rows"]
    assert [r["Pages"] for r in rows] == [7, 4, 3, 2]
    assert api.get(f"{DESIGN}/ByPages").json["selection"] == view["selection"]


def test_a_changed_view_keeps_serving_the_old_index_until_rebuilt(app, api, memos):
    before = api.get(f"{VIEWS}/MemosByDept").json["rows"]
    changed = api.get(f"{DESIGN}/MemosByDept").json
    changed = {k: changed[k] for k in ("title", "selection", "columns", "responses")}
    changed["selection"] = 'Form = "Memo" & Pages > 2'
    assert api.put_json(f"{DESIGN}/MemosByDept", changed, status=202).json["state"] == "rebuilding"
    assert api.get(f"{VIEWS}/MemosByDept").json["rows"] == before
    _build_pending(app)
    assert api.get(f"{VIEWS}/MemosByDept").json["total"] == 3


def test_deleting_a_view(api):
    api.delete(f"{DESIGN}/Drafts")
    api.get(f"{VIEWS}/Drafts", status=404)
    api.delete(f"{DESIGN}/Drafts", status=404)


@pytest.mark.parametrize("view, complaint", [
    ({"selection": 'Form = "Memo" &', "columns": [{"name": "A", "value": "Subject"}]}, "selection"),
    ({"selection": "@Frobnicate(1)", "columns": [{"name": "A", "value": "Subject"}]}, "Frobnicate"),
    ({"columns": [{"name": "A", "value": "@Left(Subject)"}]}, "columns[0].value"),
    ({"columns": [{"name": "A", "value": "НетТакогоПоля"}]}, "НетТакогоПоля"),
    ({"columns": [{"name": f"C{i}", "value": "Subject"} for i in range(1000)]}, "at most"),
    ({"columns": [{"name": "A", "value": "Subject", "categorized": True}]}, "categorised"),
    ({"columns": []}, "needs a list of columns"),
    ({"columns": [{"name": "A"}], "colour": "red"}, "unknown keys"),
])
def test_bad_views_are_refused_and_change_nothing(api, view, complaint):
    answer = api.put_json(f"{DESIGN}/Bad", view, status=422).json
    assert complaint in answer["message"]
    api.get(f"{VIEWS}/Bad", status=404)


def test_only_designers_change_views(app, api):
    api.post_json("/api/databases/directory/documents", {
        "Form": "Person", "UserName": "clerk", "FullName": "Clerk", "Password": "Clerk-password-1"})
    clerk = TestApp(app)
    clerk.authorization = ("Basic", ("clerk", "Clerk-password-1"))
    view = {"columns": [{"name": "Subject", "value": "Subject"}]}
    clerk.put_json(f"{DESIGN}/Mine", view, status=403)
    clerk.delete(f"{DESIGN}/MemosByDept", status=403)


def test_a_document_whose_formula_fails_is_left_out_and_the_view_keeps_working(app, api, caplog):
    view = {"selection": 'Form = "Memo"', "columns": [
        {"name": "Double", "value": "Pages * 2", "sort": "ascending"}]}
    api.put_json(f"{DESIGN}/Doubled", view, status=202)
    _build_pending(app)
    api.post_json(DOCS, {"Form": "Memo", "Pages": 3})
    bad = api.post_json(DOCS, {"Form": "Memo", "Pages": "много"}).json  # text * 2: a type error
    api.post_json(DOCS, {"Form": "Memo", "Pages": 1})
    assert [r["Double"] for r in api.get(f"{VIEWS}/Doubled").json["rows"]] == [2, 6]
    assert any(bad["@unid"] in record.getMessage() for record in caplog.records)


def test_a_document_in_conflict_is_marked_in_the_view(app, api):
    from core.document import Revision
    from core.writes import Writer

    memo = api.post_json(DOCS, {"Form": "Memo", "Dept": "Управление ЖКХ", "Subject": "База"}).json
    api.put_json(f"{DOCS}/{memo['@unid']}", {"Form": "Memo", "Dept": "Управление ЖКХ", "Subject": "Здесь"},
                 headers={"If-Match": memo["@rev"]})
    connection = app.registry.zodb.open()
    try:
        database = server_root(connection).get_database("documents")
        document = database.documents[memo["@unid"]]
        Writer(app.registry.pm, "kzn-vakhitov", connection.transaction_manager).graft(
            database, document, Revision("2-" + "f" * 32, memo["@rev"],
                                         {"Form": "Memo", "Dept": "Управление ЖКХ", "Subject": "Там"},
                                         updated_by="kzn-vakhitov", timestamp="2026-11-25T10:00:00.000Z"))
        connection.transaction_manager.commit()
    finally:
        connection.close()
    rows = api.get(f"{VIEWS}/MemosByDept", {"category": "Управление ЖКХ"}).json["rows"]
    assert [(r["Subject"], r.get("@conflict")) for r in rows] == [("Там", True)]


LETTERS = [("2026-11-02", "Прокуратура района"), ("2026-11-05", "Ёлкин А. А."), ("2026-11-03", "аптека №5"),
           ("2026-11-04", "Налоговая инспекция")]


def test_a_click_to_sort_column_orders_the_view_by_itself(app, api):
    for day, correspondent in LETTERS:
        api.post_json(DOCS, {"Form": "Incoming", "RegDate": day, "Correspondent": correspondent})
    api.post_json(DOCS, {"Form": "Incoming", "RegDate": "2026-11-06", "Correspondent": "Дума",
                         "Readers": ["admin"]})
    column = {c["name"]: c for c in api.get(VIEWS).json["views"] if c["name"] == "IncomingByDate"}
    assert [c["resort"] for c in column["IncomingByDate"]["columns"]] == [False, False, True, False]
    by_name = api.get(f"{VIEWS}/IncomingByDate", {"resort": "Correspondent"}).json
    assert [r["Correspondent"] for r in by_name["rows"]] == [
        "аптека №5", "Дума", "Ёлкин А. А.", "Налоговая инспекция", "Прокуратура района"]
    backwards = api.get(f"{VIEWS}/IncomingByDate", {"resort": "Correspondent", "descending": "true",
                                                    "start": 1, "count": 2}).json
    assert [r["Correspondent"] for r in backwards["rows"]] == ["Налоговая инспекция", "Ёлкин А. А."]
    assert [r["@position"] for r in backwards["rows"]] == ["2", "3"]
    from_key = api.get(f"{VIEWS}/IncomingByDate", {"resort": "Correspondent", "startkey": "е"}).json
    assert from_key["total"] == 3 and from_key["rows"][0]["Correspondent"] == "Ёлкин А. А."
    # Someone outside the Readers of the Duma's letter: neither shown nor counted, in any order.
    api.post_json("/api/databases/directory/documents", {
        "Form": "Person", "UserName": "clerk", "FullName": "Clerk", "Password": "Clerk-password-1"})
    clerk = TestApp(app)
    clerk.authorization = ("Basic", ("clerk", "Clerk-password-1"))
    hidden = clerk.get(f"{VIEWS}/IncomingByDate", {"resort": "Correspondent", "startkey": "д"}).json
    assert hidden["total"] == 3
    assert [r["Correspondent"] for r in hidden["rows"]] == ["Ёлкин А. А.", "Налоговая инспекция",
                                                           "Прокуратура района"]
    page = clerk.get(f"{VIEWS}/IncomingByDate", {"resort": "Correspondent", "start": 1, "count": 1}).json
    assert page["total"] == 4 and page["rows"][0]["Correspondent"] == "Ёлкин А. А."


@pytest.mark.parametrize(("params", "complaint"), [
    ({"resort": "Subject"}, "click-to-sort columns are Correspondent"),
    ({"resort": "Нет"}, "cannot be sorted by 'Нет'"),
    ({"resort": "Correspondent", "category": "x"}, "no categories"),
])
def test_sorting_by_a_column_that_is_not_click_to_sort_is_400(api, params, complaint):
    answer = api.get(f"{VIEWS}/IncomingByDate", params, status=400)
    assert complaint in answer.json["message"]


def test_a_view_with_too_many_click_to_sort_columns_is_refused(api):
    columns = [{"name": f"C{n}", "value": "Subject", "resort": True} for n in range(5)]
    answer = api.put_json(f"{DESIGN}/Wide", {"selection": "@All", "columns": columns}, status=422)
    assert "at most 4 click-to-sort" in answer.json["message"]
    api.get(f"{DESIGN}/Wide", status=404)
