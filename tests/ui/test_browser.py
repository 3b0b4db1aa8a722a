"""The web UI in Chromium: what a clerk does on a desktop and an executive on a phone.

One demo server (``domus init --demo`` on a FileStorage, ``domus serve`` on
loopback) and one headless Chromium serve every test; each test opens its own
browser context and logs in through the form.  Screenshots of the main pages
at both sizes land in ``tests/artifacts/`` (ignored by git) to be looked at.
"""
from __future__ import annotations

import re
import time

import requests

from tests.integration.servers import ADMIN
from tests.ui.conftest import DEMO_PASSWORD

API = "/api/databases/documents/documents"


def _api(server) -> requests.Session:
    session = requests.Session()
    session.auth = ADMIN
    session.headers["Accept"] = "application/json"
    return session


def _memo(server, subject: str) -> str:
    made = _api(server).post(server.url + API, json={
        "Form": "Memo", "From": "Иванова А.П.", "To": "Петров С.В.", "Dept": "Правовое управление",
        "Subject": subject, "Pages": 1})
    assert made.status_code == 201, made.text
    return made.json()["@unid"]


def _rows(page) -> list[str]:
    return [text.strip() for text in page.locator("table.view td.lead a").all_inner_texts()]


def test_log_in_and_see_the_databases(visitor_factory):
    visitor = visitor_factory()
    visitor.go("/")
    assert "/login" in visitor.page.url
    visitor.shot("login")
    visitor.page.fill("#name", ADMIN[0])
    visitor.page.fill("#password", "wrong-password")
    visitor.page.click("#login button[type=submit]")
    assert visitor.page.locator("#login .error").inner_text() == "Неверное имя или пароль."
    visitor.page.fill("#password", ADMIN[1])
    visitor.page.click("#login button[type=submit]")
    visitor.page.wait_for_selector("ul.databases")
    titles = visitor.page.locator("ul.databases .title").all_inner_texts()
    assert "Документы" in titles and "Обращения граждан" in titles
    visitor.shot("databases")


def test_open_a_categorised_view_and_expand_a_category(desktop):
    desktop.go("/db/documents")
    desktop.page.click("text=По подразделениям")
    desktop.page.wait_for_selector("tr.category")
    assert desktop.page.locator("tr.document").count() == 0
    toggle = desktop.page.locator("a.toggle").first
    count = int(desktop.page.locator("tr.category .count").first.inner_text())
    desktop.page.evaluate("window.notReloaded = true")
    toggle.click()
    desktop.page.wait_for_selector("tr.document")
    assert desktop.page.evaluate("window.notReloaded === true")  # the script swapped the table in
    assert desktop.page.locator("tr.document").count() == count
    assert desktop.page.locator("a.toggle").first.get_attribute("aria-expanded") == "true"
    assert "open=" in desktop.page.url  # the state is in the address: a link, a bookmark
    desktop.shot("view")
    desktop.page.locator("a.toggle").first.click()
    desktop.page.wait_for_selector("tr.document", state="detached")


def test_the_keyboard_reaches_the_rows_and_moves_between_them(desktop):
    desktop.go("/db/documents/views/IncomingByDate")
    desktop.page.keyboard.press("Tab")
    assert desktop.page.evaluate("document.activeElement.className") == "skip"
    desktop.page.keyboard.press("Enter")
    desktop.page.wait_for_url("**#main", timeout=5000)  # following the link may take a moment
    assert desktop.page.url.endswith("#main")
    first, second = desktop.page.locator("td.lead a").nth(0), desktop.page.locator("td.lead a").nth(1)
    first.focus()
    desktop.page.keyboard.press("ArrowDown")
    assert desktop.page.evaluate("document.activeElement.href") == second.evaluate("a => a.href")
    desktop.page.keyboard.press("ArrowUp")
    assert desktop.page.evaluate("document.activeElement.href") == first.evaluate("a => a.href")
    desktop.page.keyboard.press("Enter")
    desktop.page.wait_for_selector("dl.items")


def test_reading_works_without_javascript(visitor_factory):
    visitor = visitor_factory(who=ADMIN, javascript=False)
    visitor.go("/db/documents/views/MemosByDept")
    visitor.page.locator("a.toggle").first.click()
    visitor.page.wait_for_selector("tr.document")
    visitor.page.locator("tr.document td.lead a").first.click()
    visitor.page.wait_for_selector("dl.items")
    visitor.page.click(".history summary")
    assert visitor.page.locator(".history tbody tr").count() >= 1


def test_sort_by_a_column(desktop, demo_server):
    view = f"{demo_server.url}/api/databases/documents/views/IncomingByDate"
    newest = _api(demo_server).get(view, params={"count": 1}).json()["rows"][0]["@unid"]
    oldest = _api(demo_server).get(view, params={"count": 1, "descending": "true"}).json()["rows"][0]
    desktop.go("/db/documents/views/IncomingByDate")
    header = desktop.page.locator("th[aria-sort]")
    assert header.get_attribute("aria-sort") == "descending"
    assert newest in desktop.page.locator("td.lead a").first.get_attribute("href")
    header.locator("a").click()
    desktop.page.wait_for_selector("th[aria-sort=ascending]")
    assert oldest["@unid"] in desktop.page.locator("td.lead a").first.get_attribute("href")
    assert "desc=1" in desktop.page.url
    # Correspondent is a click-to-sort column: the view comes back ordered by it.
    first_by_name = _api(demo_server).get(view, params={"count": 1, "resort": "Correspondent"}).json()
    desktop.page.locator("thead a[href*='sort=Correspondent']").click()
    desktop.page.wait_for_url("**sort=Correspondent**")
    desktop.page.wait_for_selector("th[aria-sort=ascending] a[href*='sort=Correspondent']")
    assert first_by_name["rows"][0]["@unid"] in desktop.page.locator("td.lead a").first.get_attribute("href")


def test_open_a_document_and_edit_an_item(desktop, demo_server):
    unid = _memo(demo_server, "Служебная записка для правки")
    desktop.go("/db/documents/views/MemosByDept?category=Правовое управление")
    desktop.page.click("text=Служебная записка для правки")
    desktop.page.wait_for_selector("h1")
    assert desktop.page.locator("h1").inner_text() == "Служебная записка для правки"
    assert unid in desktop.page.url
    desktop.shot("document")
    desktop.page.click("a.button.primary")  # Редактировать
    desktop.page.fill("#f-Subject", "Служебная записка после правки")
    desktop.shot("edit")
    desktop.page.click("#edit button[type=submit]")
    desktop.page.wait_for_selector("h1:text('Служебная записка после правки')")
    desktop.page.click(".history summary")
    assert "Тема" in desktop.page.locator(".history tbody tr").first.inner_text()


def test_a_validation_error_is_shown_beside_the_field_and_fixed(desktop, demo_server):
    unid = _memo(demo_server, "Записка с ошибкой")
    desktop.go(f"/db/documents/documents/{unid}/edit")
    desktop.page.fill("#f-Subject", "")
    desktop.page.fill("#f-Pages", "двадцать")
    desktop.page.click("#edit button[type=submit]")
    desktop.page.wait_for_selector("#f-Pages-error")
    assert desktop.page.locator("#f-Pages-error").inner_text().strip() == "Введите число."
    assert desktop.page.locator("#f-Pages").get_attribute("aria-invalid") == "true"
    desktop.page.fill("#f-Pages", "20")
    desktop.page.click("#edit button[type=submit]")
    desktop.page.wait_for_selector("#f-Subject-error")
    assert desktop.page.locator("#f-Subject-error").inner_text().strip() == "Обязательное поле."
    desktop.shot("validation")
    desktop.page.fill("#f-Subject", "Записка исправлена")
    desktop.page.click("#edit button[type=submit]")
    desktop.page.wait_for_selector("h1:text('Записка исправлена')")
    stored = _api(demo_server).get(f"{demo_server.url}{API}/{unid}").json()
    assert (stored["Subject"], stored["Pages"]) == ("Записка исправлена", 20)


def test_upload_an_attachment_and_download_it_back(desktop, demo_server, tmp_path):
    unid = _memo(demo_server, "Записка со сканом")
    scan = tmp_path / "скан записки.txt"
    scan.write_text("Отсканированный текст записки\n" * 100, encoding="utf-8")
    desktop.go(f"/db/documents/documents/{unid}")
    desktop.page.set_input_files("#file", str(scan))
    desktop.page.click("#upload button[type=submit]")
    link = desktop.page.locator("ul.files a")
    link.wait_for()
    assert link.inner_text() == "скан записки.txt"
    assert desktop.page.locator("ul.files .size").inner_text().replace("\xa0", " ") == "5,7 кБ"
    with desktop.page.expect_download() as download:
        link.click()
    saved = tmp_path / "downloaded"
    download.value.save_as(saved)
    assert saved.read_bytes() == scan.read_bytes()


def test_create_a_response_and_see_it_under_its_parent(desktop, demo_server):
    desktop.go("/db/documents/views/IncomingByDate")
    first = desktop.page.locator("tr.document:not(.response) td.lead a").first
    subject = first.inner_text().strip()
    first.click()
    desktop.page.click("a.button:has-text('Резолюция')")
    desktop.page.fill("#f-ResolutionAuthor", "Фазлиев М.И.")
    desktop.page.fill("#f-Text", "Рассмотреть и доложить")
    desktop.page.fill("#f-Executors", "Иванова А.П., Петров С.В.")
    desktop.page.fill("#f-Deadline", "2026-12-15")
    desktop.page.click("#edit button[type=submit]")
    desktop.page.wait_for_selector("nav.crumbs a[rel=up]")
    assert desktop.page.locator("nav.crumbs a[rel=up]").inner_text() == subject
    desktop.page.click("nav.crumbs a[rel=up]")
    assert "Рассмотреть и доложить" in desktop.page.locator("ul.responses").inner_text()
    desktop.go("/db/documents/views/IncomingByDate")
    rows = desktop.page.locator("tr.document")
    texts = rows.all_inner_texts()
    at = next(i for i, text in enumerate(texts) if subject in text)
    follower = rows.nth(at + 1)
    assert "response" in follower.get_attribute("class")
    assert "Рассмотреть и доложить" in "".join(texts[at + 1:at + 10])


def _wait_for_the_index(server, database: str, word: str) -> None:
    """The worker indexes the demo in the background: wait until a search answers."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        answer = _api(server).get(f"{server.url}/api/databases/{database}/search", params={"q": word})
        if answer.status_code == 200 and answer.json()["total"]:
            return
        time.sleep(1)
    raise AssertionError(f"the full-text index of {database} was not ready: {answer.text}")


def test_search_in_russian_and_open_a_hit(desktop, demo_server):
    _wait_for_the_index(demo_server, "documents", "кровли")
    desktop.go("/db/documents/views/IncomingByDate")
    desktop.page.fill("#view-q", "ремонт кровли")
    desktop.page.click("form:has(#view-q) button")
    desktop.page.wait_for_selector("ol.hits li")
    assert "view=IncomingByDate" in desktop.page.url
    marked = " ".join(desktop.page.locator("ol.hits li").first.locator("mark").all_inner_texts())
    assert "кровл" in marked.lower() or "ремонт" in marked.lower()
    desktop.shot("search")
    heading = desktop.page.locator("ol.hits li a").first.inner_text()
    desktop.page.locator("ol.hits li a").first.click()
    desktop.page.wait_for_selector("dl.items")
    assert desktop.page.locator("h1").inner_text() == heading
    assert desktop.page.locator("p.form-title").inner_text().lower() == "входящий документ"


def test_switch_the_language(desktop):
    desktop.go("/")
    assert desktop.page.locator("h1").inner_text() == "Базы данных"
    desktop.page.click("#language button[value=en]")
    desktop.page.wait_for_selector("h1:text('Databases')")
    assert desktop.page.locator("html").get_attribute("lang") == "en"
    desktop.go("/db/documents/views/MemosByDept")
    assert "Memos / By department" in desktop.page.locator("h1").inner_text()
    desktop.shot("english")
    desktop.page.click("#language button[value=ru]")
    desktop.page.wait_for_selector("h1:text('Служебные записки / По подразделениям')")


def test_the_same_at_phone_size(phone, demo_server):
    page = phone.page
    phone.go("/")
    assert phone.no_sideways_scroll()
    phone.shot("databases")
    phone.go("/db/documents/views/MemosByDept")
    assert not page.locator("#outline").is_visible()  # the outline is a menu on a phone
    menu = page.locator(".menu-button")
    assert menu.bounding_box()["height"] >= 44
    menu.tap()
    assert page.locator("#outline").is_visible()
    phone.shot("outline")
    page.locator("#outline a:has-text('По дате регистрации')").tap()
    page.wait_for_selector("tr.document")
    assert phone.no_sideways_scroll()
    phone.shot("view")
    phone.go("/db/documents/views/MemosByDept")
    toggle = page.locator("a.toggle").first
    assert toggle.bounding_box()["height"] >= 44
    toggle.tap()
    page.wait_for_selector("tr.document")
    assert phone.no_sideways_scroll()
    lead = page.locator("tr.document td.lead a").first
    assert lead.bounding_box()["height"] >= 44
    lead.tap()
    page.wait_for_selector("dl.items")
    assert phone.no_sideways_scroll()
    phone.shot("document")
    page.locator("a.button.primary").tap()
    page.fill("#f-Pages", "много")
    page.locator("#edit button[type=submit]").tap()
    page.wait_for_selector("#f-Pages-error")
    assert phone.no_sideways_scroll()
    phone.shot("edit")
    page.locator("#language button[value=en]").tap()
    page.wait_for_selector("html[lang=en]")
    assert phone.no_sideways_scroll()


def test_a_user_who_may_not_read_a_document_is_never_shown_it(visitor_factory, demo_server):
    admin = _api(demo_server)
    everything = admin.get(f"{demo_server.url}/api/databases/appeals/documents",
                           params={"limit": 1000, "include_docs": "true"}).json()["rows"]
    petrov_sees = requests.get(f"{demo_server.url}/api/databases/appeals/documents",
                               params={"limit": 1000}, auth=("petrov", DEMO_PASSWORD)).json()["rows"]
    visible = {row["@unid"] for row in petrov_sees}
    hidden = [row for row in everything if row["@unid"] not in visible and row.get("Form") == "Appeal"]
    assert hidden and visible, "the demo gives petrov some appeals and hides the others"
    secret = hidden[0]
    petrov = visitor_factory(who=("petrov", DEMO_PASSWORD))
    missing = "0" * 32
    answer = petrov.go(f"/db/appeals/documents/{secret['@unid']}")
    hidden_text = petrov.page.locator("main").inner_text()
    absent = petrov.go(f"/db/appeals/documents/{missing}")
    assert answer.status == absent.status == 404
    assert hidden_text.replace(secret["@unid"], missing) == petrov.page.locator("main").inner_text()
    shown = []
    for view in ("AppealsByDate", "AppealsByTopic", "AppealsByExecutor"):
        petrov.go(f"/db/appeals/views/{view}?expand=1")
        shown.append(petrov.page.content())
    surname = secret["Applicant"].split()[0]
    _wait_for_the_index(demo_server, "appeals", surname)  # the administrator finds it
    petrov.go(f"/db/appeals/search?q={surname}")
    shown.append(petrov.page.content())
    petrov.go("/")
    shown.append(petrov.page.content())
    for html in shown:
        assert secret["@unid"] not in html and secret["RegNumber"] not in html
    count = re.search(r"Обращения граждан\s*(\d+)", petrov.page.locator("ul.databases").inner_text())
    assert count and int(count.group(1)) == len(visible)
