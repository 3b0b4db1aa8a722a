"""Fixtures shared by the whole suite: ini-style settings -> app -> WebTest.

Functional tests run the real application on a ``memory://`` storage (a
DemoStorage that keeps blobs), initialised exactly as ``domus init`` does.
"""
from __future__ import annotations

import contextlib

import pytest
from webtest import TestApp

from core import make_app, shutdown
from core.initialise import initialise
from core.plugins import make_plugin_manager
from core.storage import open_db
from core.templates import load_templates

ADMIN_PASSWORD = "admin-password-1"


@pytest.fixture
def extra_plugins() -> tuple:
    """Plugins a test module adds to the application (override in the module)."""
    return ()


@pytest.fixture
def zodb():
    db = open_db("memory://")
    yield db
    db.close()


@pytest.fixture
def settings(tmp_path) -> dict:
    return {"zodbconn.uri": "memory://", "domus.var_dir": str(tmp_path / "var")}


@contextlib.contextmanager
def running_app(zodb, settings: dict, extra_plugins: tuple = ()):
    """An initialised application on ``zodb``, shut down afterwards."""
    pm = make_plugin_manager(extra_plugins, load_entry_points=False)
    initialise(zodb, pm, load_templates(pm), ADMIN_PASSWORD)
    application = make_app(settings, extra_plugins, zodb=zodb, load_entry_points=False)
    try:
        yield application
    finally:
        shutdown(application.registry)


@pytest.fixture
def app(zodb, extra_plugins, settings):
    with running_app(zodb, settings, extra_plugins) as application:
        yield application


@pytest.fixture
def api(app) -> TestApp:
    """A client logged in as the administrator."""
    client = TestApp(app)
    client.authorization = ("Basic", ("admin", ADMIN_PASSWORD))
    return client


@pytest.fixture
def anonymous(app) -> TestApp:
    return TestApp(app)


DOCS = "/api/databases/documents/documents"


@pytest.fixture
def memo(api) -> dict:
    """A saved memo: its write answer (``@unid``, ``@rev``)."""
    return api.post_json(DOCS, {"Form": "Memo", "Subject": "О ремонте кровли", "Pages": 2}).json
