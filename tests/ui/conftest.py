"""Browser fixtures: one demo server (``domus serve`` on a FileStorage) and one Chromium per session.

The server is the real thing a user reaches (waitress on loopback, the demo
databases of ``domus init --demo``); the browser is Debian's Chromium,
headless, driven by Playwright.  Each test opens its own browser context
(its own cookies) on that one browser, so tests do not share a login.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.integration.servers import ADMIN, AppServer, domus

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
DEMO_PASSWORD = "demo-password-2026"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory):
    var = tmp_path_factory.mktemp("ui") / "var"
    domus(var, "init", "--demo")
    server = AppServer(var, threads=4)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium():
    assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs it (apt-get install chromium)"
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=["--no-sandbox", "--disable-dev-shm-usage"])
    yield browser
    browser.close()
    playwright.stop()


class Visitor:
    """A person at a browser: logs in through the form, reads pages, takes screenshots."""

    def __init__(self, browser, base: str, viewport: dict, kind: str, javascript: bool = True) -> None:
        self.base = base
        self.kind = kind
        self.context = browser.new_context(viewport=viewport, is_mobile=kind == "phone",
                                           has_touch=kind == "phone", accept_downloads=True,
                                           java_script_enabled=javascript)
        self.context.set_default_timeout(15000)
        self.page = self.context.new_page()
        self.script_errors: list[str] = []  # a script error on any page fails the test
        self.page.on("pageerror", lambda error: self.script_errors.append(str(error)))

    def go(self, path: str):
        return self.page.goto(self.base + path)

    def log_in(self, name: str, password: str) -> None:
        self.go("/login")
        self.page.fill("#name", name)
        self.page.fill("#password", password)
        self.page.click("form.card button[type=submit]")
        self.page.wait_for_selector(".who")

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"ui-{name}-{self.kind}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def no_sideways_scroll(self) -> bool:
        return self.page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth")

    def close(self) -> None:
        self.context.close()
        assert not self.script_errors, self.script_errors


def _visitor(chromium, demo_server, viewport, kind, who=ADMIN):
    visitor = Visitor(chromium, demo_server.url, viewport, kind)
    visitor.log_in(*who)
    return visitor


@pytest.fixture
def desktop(chromium, demo_server):
    visitor = _visitor(chromium, demo_server, DESKTOP, "desktop")
    yield visitor
    visitor.close()


@pytest.fixture
def phone(chromium, demo_server):
    visitor = _visitor(chromium, demo_server, PHONE, "phone")
    yield visitor
    visitor.close()


@pytest.fixture
def visitor_factory(chromium, demo_server):
    """Visitors made by a test (another user, a browser without a login); closed afterwards."""
    made = []

    def make(kind: str = "desktop", who: tuple[str, str] | None = None,
             javascript: bool = True) -> Visitor:
        visitor = Visitor(chromium, demo_server.url, PHONE if kind == "phone" else DESKTOP, kind,
                          javascript)
        made.append(visitor)
        if who is not None:
            visitor.log_in(*who)
        return visitor

    yield make
    for visitor in made:
        visitor.close()
