"""Integration fixtures: an initialised data folder and a running server on it."""
from __future__ import annotations

import pytest

from tests.integration.servers import AppServer, domus


@pytest.fixture
def var(tmp_path):
    folder = tmp_path / "var"
    domus(folder, "init")
    return folder


@pytest.fixture
def server(var):
    app = AppServer(var)
    yield app
    app.stop()
