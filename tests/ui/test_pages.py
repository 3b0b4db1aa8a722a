"""The web UI's pages through WebTest: what each page shows, refuses and writes.

A "browser" here is a WebTest client that logged in through the form and
carries the session cookie, so CSRF tokens and redirects work as they do in
a real browser; the browser tests in ``test_browser.py`` drive Chromium.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from webtest import TestApp

from core.exceptions import ConfigurationError
from core.root import server_root
from tests.conftest import ADMIN_PASSWORD, running_app

DOCS = "/api/databases/documents/documents"
PAGE = "/db/documents/documents"


def log_in(app, name: str = "admin", password: str = ADMIN_PASSWORD) -> TestApp:
    client = TestApp(app)
    client.post("/login", {"name": name, "password": password, "next": "/",
                           "csrf_token": csrf(client.get("/login"))}, status=303)
    return client


def csrf(page) -> str:
    return re.search(r'name="csrf_token" value="([0-9A-Za-z_-]+)"', page.text).group(1)


@pytest.fixture
def browser(app) -> TestApp:
    return log_in(app)


def _memo(api, **items) -> dict:
    memo = {"Form": "Memo", "From": "Иванова А.П.", "To": "Петров С.В.", "Dept": "Управление ЖКХ",
            "Subject": "Записка"}
    return api.post_json(DOCS, {**memo, **items}).json


# -- login, language --------------------------------------------------------------
def test_anonymous_readers_are_sent_to_the_login_page_and_back(app):
    client = TestApp(app)
    answer = client.get("/db/documents/views/MemosByDept", status=303)
    assert answer.location.endswith("/login?next=%2Fdb%2Fdocuments%2Fviews%2FMemosByDept")
    form = answer.follow().forms["login"]
    form["name"], form["password"] = "admin", ADMIN_PASSWORD
    assert form.submit(status=303).location.endswith("/db/documents/views/MemosByDept")


def test_logout_ends_the_session(browser):
    home = browser.get("/")
    browser.post("/logout", {"csrf_token": csrf(home)}, status=303)
    browser.get("/", status=303)


def test_logout_without_the_csrf_token_is_refused(browser):
    answer = browser.post("/logout", status=403)
    assert "text/html" in answer.content_type
    browser.get("/", status=200)


def test_the_language_is_chosen_by_the_user(browser):
    assert "Базы данных" in browser.get("/").text  # the default of the settings
    home = browser.get("/")
    browser.post("/language", {"language": "en", "next": "/", "csrf_token": csrf(home)}, status=303)
    page = browser.get("/")
    assert "Databases" in page.text and '<html lang="en">' in page.text
    browser.post("/language", {"language": "ru", "next": "/", "csrf_token": csrf(page)}, status=303)
    assert "Базы данных" in browser.get("/").text


def test_an_unknown_language_is_refused_and_a_forged_cookie_ignored(browser):
    home = browser.get("/")
    browser.post("/language", {"language": "../../etc", "csrf_token": csrf(home)}, status=400)
    browser.set_cookie("domus_language", "xx")
    assert '<html lang="ru">' in browser.get("/").text


def test_the_default_language_comes_from_the_settings(zodb, settings):
    with running_app(zodb, {**settings, "domus.default_language": "en"}) as app:
        assert "Databases" in log_in(app).get("/").text


def test_a_bad_default_language_stops_the_start(zodb, settings):
    with (pytest.raises(ConfigurationError, match="domus.default_language"),
          running_app(zodb, {**settings, "domus.default_language": "de"})):
        pass


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/passwd", ""])
def test_a_bad_time_zone_stops_the_start(zodb, settings, zone):
    with (pytest.raises(ConfigurationError, match="domus.time_zone"),
          running_app(zodb, {**settings, "domus.time_zone": zone})):
        pass


@pytest.mark.parametrize("zone", ["UTC", "Europe/Moscow", "Asia/Yekaterinburg"])
def test_times_are_shown_in_the_servers_time_zone(zodb, settings, zone):
    with running_app(zodb, {**settings, "domus.time_zone": zone}) as app:
        api = TestApp(app)
        api.authorization = ("Basic", ("admin", ADMIN_PASSWORD))
        memo = api.post_json(DOCS, {"Form": "Memo", "Subject": "Время", "Dept": "Отдел"}).json
        created = datetime.fromisoformat(api.get(f"{DOCS}/{memo['@unid']}").json["@created"])
        page = log_in(app).get(f"{PAGE}/{memo['@unid']}", headers={"Accept-Language": "ru"})
        shown = format_datetime(created, "medium", tzinfo=ZoneInfo(zone), locale="ru")
        assert (shown + " UTC" if zone == "UTC" else shown) in page.text
        if zone != "UTC":  # the hour is the local one, and nothing calls it UTC
            assert format_datetime(created, "medium", tzinfo=UTC, locale="ru") not in page.text
            assert " UTC" not in page.text


def test_the_login_page_goes_only_to_this_site(app):
    client = TestApp(app)
    answer = client.post("/login", {"name": "admin", "password": ADMIN_PASSWORD,
                                    "next": "https://evil.example/",
                                    "csrf_token": csrf(client.get("/login"))}, status=303)
    assert answer.location == "http://localhost/"


# -- databases and views -----------------------------------------------------------------
def test_the_database_list_counts_only_readable_documents(browser, api):
    _memo(api)
    page = browser.get("/")
    assert re.search(r"Документы</span>\s*<span class=\"count\">1 документ<", page.text)


def test_a_database_opens_on_the_first_view_of_its_outline(browser):
    answer = browser.get("/db/documents", status=303)
    assert answer.location.endswith("/db/documents/views/AllByForm")
    page = answer.follow()
    assert 'aria-current="page">По форме<' in page.text
    assert "Служебные записки" in page.text and "По подразделениям" in page.text


def test_categories_show_counts_and_open_and_close(browser, api):
    for dept, subject in (("Управление ЖКХ", "Кровля"), ("Управление ЖКХ", "Лифты"),
                          ("Правовое управление", "Договор")):
        _memo(api, Dept=dept, Subject=subject, Pages=2)
    closed = browser.get("/db/documents/views/MemosByDept")
    rows = closed.html.select("tbody tr")
    assert [r["class"] for r in rows] == [["category"], ["category"]]
    assert [r.select_one(".count").text for r in rows] == ["1", "2"]
    assert "Кровля" not in closed.text
    opened = browser.get(rows[1].select_one("a.toggle")["href"])
    assert [a.text for a in opened.html.select("td.lead a")] == ["Кровля", "Лифты"]
    assert opened.html.select_one("a.toggle[aria-expanded=true]") is not None
    totals = opened.html.select("tr.category")[1].select("td")[-1].text
    assert totals == "4"
    again = browser.get(opened.html.select("a.toggle")[1]["href"])
    assert "Кровля" not in again.text


def test_the_key_column_turns_the_view_round(browser, api):
    for dept in ("А-отдел", "Б-отдел", "В-отдел"):
        _memo(api, Dept=dept)
    page = browser.get("/db/documents/views/MemosByDept")
    order = [a.text.strip() for a in page.html.select("a.toggle")]
    header = page.html.select_one("th[aria-sort] a")
    assert page.html.select_one("th[aria-sort]")["aria-sort"] == "ascending"
    turned = browser.get(header["href"])
    assert [a.text.strip() for a in turned.html.select("a.toggle")] == list(reversed(order))
    assert turned.html.select_one("th[aria-sort]")["aria-sort"] == "descending"


def test_a_click_to_sort_column_sorts_the_view_flat_then_turns_round(browser, api):
    for day, correspondent in (("2026-11-02", "Прокуратура"), ("2026-11-03", "Аптека"),
                               ("2026-11-04", "Дума")):
        api.post_json(DOCS, {"Form": "Incoming", "RegDate": day, "Correspondent": correspondent})
    page = browser.get("/db/documents/views/IncomingByDate")
    headers = {th.get_text(" ", strip=True).split(" ")[0]: th for th in page.html.select("thead th")}
    assert headers["Дата"]["aria-sort"] == "descending" and not headers["Корреспондент"].get("aria-sort")

    def correspondents(answer) -> list[str]:
        return [row.select("td")[2].text.strip() for row in answer.html.select("tr.document")]

    assert correspondents(page) == ["Дума", "Аптека", "Прокуратура"]
    by_name = browser.get(headers["Корреспондент"].select_one("a")["href"])
    assert "sort=Correspondent" in by_name.request.url
    assert correspondents(by_name) == ["Аптека", "Дума", "Прокуратура"]
    assert by_name.html.select_one("th[aria-sort]").get_text(" ", strip=True).startswith("Корреспондент")
    assert by_name.html.select_one("th[aria-sort]")["aria-sort"] == "ascending"
    turned = browser.get(by_name.html.select_one("th[aria-sort] a")["href"])
    assert correspondents(turned) == ["Прокуратура", "Дума", "Аптека"]
    jumped = browser.get("/db/documents/views/IncomingByDate", {"sort": "Correspondent", "key": "Д"})
    assert correspondents(jumped) == ["Дума", "Прокуратура"]
    back = browser.get(by_name.html.select("thead th a")[0]["href"])
    assert "sort=" not in back.request.url and correspondents(back) == correspondents(page)
    assert browser.get("/db/documents/views/IncomingByDate", {"sort": "Subject"}, status=400)


def test_jump_to_a_key_and_page_through(browser, api):
    api.post_json(DOCS, [{"Form": "Memo", "Dept": "Отдел", "Subject": f"Записка {n:03}"}
                         for n in range(60)])
    page = browser.get("/db/documents/views/MemosByDept", {"category": "Отдел"})
    assert len(page.html.select("tr.document")) == 50
    assert "Документы 1–50 из 60" in page.text
    second = browser.get(page.html.select_one("a[rel=next]")["href"])
    assert len(second.html.select("tr.document")) == 10
    jumped = browser.get("/db/documents/views/MemosByDept", {"key": "Отд"})
    assert [a.text.strip() for a in jumped.html.select("a.toggle")][0].endswith("Отдел")


def test_responses_are_indented_under_their_parents(browser, api):
    parent = _memo(api, Subject="Основная")
    api.post_json(DOCS, {"Form": "Resolution", "Text": "Ответ", "@parent": parent["@unid"]})
    page = browser.get("/db/documents/views/AllByForm", {"expand": "1"})
    rows = page.html.select("tr.document")
    at = next(i for i, row in enumerate(rows) if "Основная" in row.text)
    assert "response" in rows[at + 1]["class"] and "depth-1" in rows[at + 1]["class"]


def test_a_conflict_is_marked(app, api, browser):
    from core.document import Revision
    from core.writes import Writer

    memo = _memo(api, Dept="ЖКХ", Subject="База")
    api.put_json(f"{DOCS}/{memo['@unid']}", {"Form": "Memo", "Dept": "ЖКХ", "Subject": "Здесь"},
                 headers={"If-Match": memo["@rev"]})
    connection = app.registry.zodb.open()
    try:
        database = server_root(connection).get_database("documents")
        Writer(app.registry.pm, "kzn", connection.transaction_manager).graft(
            database, database.documents[memo["@unid"]],
            Revision("2-" + "f" * 32, memo["@rev"], {"Form": "Memo", "Dept": "ЖКХ", "Subject": "Там"},
                     updated_by="kzn", timestamp="2026-11-25T10:00:00.000Z"))
        connection.transaction_manager.commit()
    finally:
        connection.close()
    view = browser.get("/db/documents/views/MemosByDept", {"category": "ЖКХ"})
    assert view.html.select_one("tr.conflict .badge").text == "Конфликт"
    assert "конфликты репликации" in browser.get(f"{PAGE}/{memo['@unid']}").text


def test_bad_view_parameters_get_an_html_error_page(browser):
    answer = browser.get("/db/documents/views/MemosByDept", {"start": "-1"}, status=400)
    assert "text/html" in answer.content_type and "start" in answer.text
    missing = browser.get("/db/documents/views/NoSuchView", status=404)
    assert "NoSuchView" in missing.text and "<h1>Не найдено</h1>" in missing.text
    browser.get("/db/nosuchdb/views/X", status=404)
    html = {"Accept": "text/html"}
    assert "text/html" in browser.get("/nowhere", headers=html, status=404).content_type
    assert browser.get("/api/nowhere", headers=html, status=404).json["error"] == "not_found"


# -- documents -------------------------------------------------------------------------
def test_a_document_is_rendered_by_its_form_escaped_and_sanitised(browser, api):
    memo = _memo(api, Subject="<script>alert(1)</script>", Pages=1234,
                 Body='<p>Текст <b>жирный</b><img src=x onerror="alert(2)"><script>alert(3)</script></p>',
                 Extra="вне формы")
    page = browser.get(f"{PAGE}/{memo['@unid']}")
    assert "<script>alert" not in page.text and "&lt;script&gt;alert(1)" in page.text
    assert "<b>жирный</b>" in page.text and "onerror" not in page.text and "alert(3)" not in page.text
    assert "1\xa0234" in page.text  # grouped the Russian way
    assert "Служебная записка" in page.text and "Листов" in page.text
    assert "вне формы" in page.html.select_one("details.others").text


def test_rich_text_typed_as_lines_keeps_its_line_breaks_and_stays_escaped(browser, api):
    memo = _memo(api, Body="Первая строка\nВторая <строка> & третья")
    body = browser.get(f"{PAGE}/{memo['@unid']}").html.select_one(".richtext")
    assert body.decode_contents() == "Первая строка<br/>\nВторая &lt;строка&gt; &amp; третья"


def test_history_says_which_items_changed(browser, api):
    memo = _memo(api, Subject="Первая")
    api.put_json(f"{DOCS}/{memo['@unid']}", {"Form": "Memo", "Subject": "Вторая"},
                 headers={"If-Match": memo["@rev"]})
    rows = browser.get(f"{PAGE}/{memo['@unid']}").html.select(".history tbody tr")
    assert len(rows) == 2 and "Тема" in rows[0].text and "admin" in rows[0].text


def test_edit_shows_problems_beside_the_fields_then_saves(browser, api):
    memo = _memo(api, Subject="Старая тема", Pages=3)
    form_page = browser.get(f"{PAGE}/{memo['@unid']}/edit")
    form = form_page.forms["edit"]
    form["Subject"], form["Pages"] = "", "много"
    refused = form.submit(status=422)
    assert refused.html.select_one("#f-Pages-error").text.strip() == "Введите число."
    assert api.get(f"{DOCS}/{memo['@unid']}").json["Subject"] == "Старая тема"
    form = refused.forms["edit"]
    form["Pages"] = "4"
    refused = form.submit(status=422)
    assert refused.html.select_one("#f-Subject-error").text.strip() == "Обязательное поле."
    assert refused.html.select_one("#f-Subject")["aria-invalid"] == "true"
    form = refused.forms["edit"]
    form["Subject"] = "Новая тема"
    saved = form.submit(status=303)
    assert saved.location.endswith(f"{PAGE}/{memo['@unid']}")
    document = api.get(f"{DOCS}/{memo['@unid']}").json
    assert (document["Subject"], document["Pages"]) == ("Новая тема", 4)


def test_edit_keeps_items_the_form_does_not_declare(browser, api):
    memo = _memo(api, Extra="оставить")
    form = browser.get(f"{PAGE}/{memo['@unid']}/edit").forms["edit"]
    form["Subject"] = "Правка"
    form.submit(status=303)
    assert api.get(f"{DOCS}/{memo['@unid']}").json["Extra"] == "оставить"


def test_an_edit_of_a_stale_revision_is_refused(browser, api):
    memo = _memo(api)
    form = browser.get(f"{PAGE}/{memo['@unid']}/edit").forms["edit"]
    api.put_json(f"{DOCS}/{memo['@unid']}", {"Form": "Memo", "Subject": "Чужая правка"},
                 headers={"If-Match": memo["@rev"]})
    form["Subject"] = "Моя правка"
    refused = form.submit(status=409)
    assert "другой пользователь" in refused.text
    assert api.get(f"{DOCS}/{memo['@unid']}").json["Subject"] == "Чужая правка"


def test_an_edit_without_the_csrf_token_changes_nothing(browser, api):
    memo = _memo(api)
    browser.post(f"{PAGE}/{memo['@unid']}/edit", {"Subject": "Подделка", "rev": memo["@rev"]},
                 status=403)
    assert api.get(f"{DOCS}/{memo['@unid']}").json["Subject"] == "Записка"


def test_a_new_document_and_a_response_under_it(browser, api):
    form = browser.get("/db/documents/new/Memo").forms["edit"]
    form["Subject"], form["Dept"], form["Pages"] = "Новая записка", "Правовое управление", "2"
    form["From"], form["To"] = "Иванова А.П.", "Петров С.В."
    created = form.submit(status=303).follow()
    unid = created.request.path.rsplit("/", 1)[1]
    link = created.html.select_one(f'a[href="/db/documents/new/Resolution?parent={unid}"]')
    form = browser.get(link["href"]).forms["edit"]
    form["ResolutionAuthor"], form["Text"] = "Фазлиев М.И.", "Подготовить ответ"
    form["Executors"], form["Deadline"] = "Иванова А.П., Петров С.В.", "2026-12-01"
    response = form.submit(status=303).follow()
    stored = api.get(f"{DOCS}/{response.request.path.rsplit('/', 1)[1]}").json
    assert stored["@parent"] == unid and stored["Executors"] == ["Иванова А.П.", "Петров С.В."]
    assert stored["Form"] == "Resolution"
    parent_page = browser.get(f"{PAGE}/{unid}")
    assert len(parent_page.html.select("ul.responses li")) == 1


def test_a_response_form_needs_a_parent_and_a_main_form_refuses_one(browser, api):
    memo = _memo(api)
    browser.get("/db/documents/new/Resolution", status=400)
    browser.get("/db/documents/new/Memo", {"parent": memo["@unid"]}, status=400)
    browser.get("/db/documents/new/NoSuchForm", status=404)


def test_upload_an_attachment_and_download_it_back(browser, api):
    memo = _memo(api)
    page = browser.get(f"{PAGE}/{memo['@unid']}")
    form = page.forms["upload"]
    assert form.action.endswith("/attachments")
    form["file"] = ("скан письма.txt", "содержимое скана".encode(), "text/plain")
    shown = form.submit(status=303).follow()
    link = shown.html.select_one("ul.files a")
    assert link.text == "скан письма.txt" and "Б" in shown.html.select_one("ul.files .size").text
    assert browser.get(link["href"]).body == "содержимое скана".encode()


def test_an_upload_with_a_bad_name_or_no_file_changes_nothing(browser, api):
    memo = _memo(api)
    page = browser.get(f"{PAGE}/{memo['@unid']}")
    form = page.forms["upload"]
    form["file"] = (".htaccess", b"x", "text/plain")
    form.submit(status=400)
    browser.post(f"{PAGE}/{memo['@unid']}/attachments", {"csrf_token": csrf(page),
                                                         "rev": memo["@rev"]}, status=400)
    assert "@attachments" not in api.get(f"{DOCS}/{memo['@unid']}").json


# -- search ------------------------------------------------------------------------------
def test_the_search_page_says_when_the_index_is_not_ready(browser, api):
    _memo(api)
    empty = browser.get("/db/documents/search")
    assert empty.html.select_one("#q") is not None and empty.html.select_one("ol.hits") is None
    building = browser.get("/db/documents/search", {"q": "записка", "view": "MemosByDept"},
                           status=503)
    assert "Поисковый индекс строится" in building.text
    assert building.html.select_one("#search input[name=view]")["value"] == "MemosByDept"


def test_a_mistyped_search_is_explained_on_the_page(browser):
    answer = browser.get("/db/orders/search", {"q": '"кровля'}, status=400)
    assert "never closed" in answer.html.select_one("#main .error").text
    assert answer.html.select_one("#q")["value"] == '"кровля'
    browser.get("/db/orders/search", {"q": "кровля", "view": "NoSuchView"}, status=404)


# -- the gate ----------------------------------------------------------------------------
def _reader(app, api) -> TestApp:
    api.post_json("/api/databases/directory/documents",
                  {"Form": "Person", "UserName": "reader", "Password": "Reader-pass-1"})
    return log_in(app, "reader", "Reader-pass-1")


def test_a_hidden_document_answers_like_an_absent_one_on_every_page(app, api):
    memo = _memo(api, Subject="Открытая")
    secret = _memo(api, Subject="СЕКРЕТНО", Dept="Тайный отдел", Readers=["admin"])
    api.post_json(DOCS, {"Form": "Resolution", "Text": "СЕКРЕТНЫЙ ответ", "@parent": memo["@unid"],
                         "Readers": ["admin"]})
    reader = _reader(app, api)
    token = csrf(reader.get("/"))
    missing = "0" * 32
    for suffix, method in (("", "get"), ("/edit", "get"), ("/attachments", "get"),
                           ("/edit", "post"), ("/attachments", "post")):
        calls = {}
        for unid in (secret["@unid"], missing):
            call = getattr(reader, method)
            params = {"csrf_token": token, "rev": secret["@rev"]} if method == "post" else None
            calls[unid] = call(f"{PAGE}/{unid}{suffix}", params, expect_errors=True)
        hidden, absent = calls[secret["@unid"]], calls[missing]
        assert (hidden.status_int, hidden.text.replace(secret["@unid"], missing)) == (
            absent.status_int, absent.text), suffix
    new = reader.get("/db/documents/new/Resolution", {"parent": secret["@unid"]}, expect_errors=True)
    assert new.status_int in (403, 404) and "СЕКРЕТНО" not in new.text
    for path in ("/", "/db/documents/views/AllByForm?expand=1", "/db/documents/views/MemosByDept",
                 f"{PAGE}/{memo['@unid']}"):
        text = reader.get(path).text
        assert "СЕКРЕТН" not in text and "Тайный" not in text and secret["@unid"] not in text, path
    assert "1 документ<" in reader.get("/").text


# -- translations -------------------------------------------------------------------------
def test_every_string_of_the_ui_is_translated_to_russian():
    from pathlib import Path

    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg
    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    folder = Path(__file__).resolve().parents[2] / "plugins" / "webui"
    with open(folder / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    used = {message[2] for message in extract_from_dir(str(folder), method_map, options_map)}
    used = {text if isinstance(text, str) else text[0] for text in used}
    messages = folder / "locale" / "ru" / "LC_MESSAGES"
    with open(messages / "domus.po", "rb") as po:
        catalog = read_po(po)
    translated = _messages(catalog)
    assert used <= {key for key, value in translated.items() if all(value)}
    with open(messages / "domus.mo", "rb") as mo:
        compiled = _messages(read_mo(mo))
    assert compiled == translated, "domus.mo is older than domus.po: run pybabel compile"


def _messages(catalog) -> dict[str, tuple]:
    """msgid (the singular of a plural) -> its translations, alike for .po and .mo catalogs."""
    def forms(text):
        return (text,) if isinstance(text, str) else tuple(text)

    return {forms(m.id)[0]: forms(m.string) for m in catalog if m.id}
