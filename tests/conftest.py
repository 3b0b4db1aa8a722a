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


@contextlib.contextmanager
def memory_app(var_dir, **settings: str):
    """``(app, zodb)``: an initialised application on storage of its own, for a module's fixture.

    Modules that make users share one application (argon2 makes users slow),
    often with settings of their own (small limits that a test can reach).
    """
    zodb = open_db("memory://")
    try:
        with running_app(zodb, {"zodbconn.uri": "memory://", "domus.var_dir": str(var_dir),
                                **settings}) as application:
            yield application, zodb
    finally:
        zodb.close()


def basic_client(app, name: str, password: str, **environ: str) -> TestApp:
    """A WebTest client that sends HTTP Basic as ``name``."""
    client = TestApp(app, extra_environ=environ or None)
    client.authorization = ("Basic", (name, password))
    return client


def add_people(admin: TestApp, names, password: str, database: str | None = None,
               level: str = "reader", **flags: bool) -> None:
    """Person documents for ``names`` and, with ``database``, ACL entries at ``level`` there."""
    for name in names:
        admin.post_json("/api/databases/directory/documents",
                        {"Form": "Person", "UserName": name, "FullName": name, "Password": password})
    if database is not None:
        acl = admin.get(f"/api/databases/{database}/acl").json
        acl["entries"] += [{"name": name, "type": "person", "level": level, "roles": [], **flags}
                           for name in names]
        admin.put_json(f"/api/databases/{database}/acl", acl)


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
