"""Fixtures for replication: PouchDB from npm, and real Domus servers on loopback."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.servers import ADMIN, AppServer, domus

HERE = Path(__file__).resolve().parent
POUCHDB_VERSION = "9.0.0"


@pytest.fixture(scope="session")
def pouchdb_modules() -> Path:
    """pouchdb-node from npm (installed into the git-ignored bench/.cache the first time)."""
    from bench._peers import npm_install

    if shutil.which("node") is None:
        pytest.fail("node is needed for the PouchDB interoperability tests (see the Makefile)")
    return npm_install("pouchdb-node", POUCHDB_VERSION)


@pytest.fixture
def pouch(pouchdb_modules, tmp_path):
    """``pouch(command, *args)`` runs tests/replication/pouch.js and returns its JSON answer."""

    def run(command: str, *args: str) -> dict:
        result = subprocess.run(
            ["node", str(HERE / "pouch.js"), command, *args], capture_output=True, text=True,
            cwd=tmp_path, env={"NODE_PATH": str(pouchdb_modules), "PATH": "/usr/bin:/bin"},
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    return run


def start_server(folder: Path) -> AppServer:
    domus(folder, "init")
    return AppServer(folder)


@pytest.fixture
def site_a(tmp_path):
    server = start_server(tmp_path / "a")
    yield server
    server.stop()


@pytest.fixture
def site_b(tmp_path):
    server = start_server(tmp_path / "b")
    yield server
    server.stop()


PEER = ("peer-server", "peer-credential-1")


def add_peer_identity(server: AppServer) -> tuple[str, str]:
    """A Server document in LocalDomainServers on ``server``, as ``domus server add`` makes one.

    Replicate with it where authorship and dates must travel: they are kept only
    from server identities, a person's pushes are recorded as theirs.
    """
    session = server.session()
    directory = f"{server.url}/api/databases/directory/documents"
    session.post(directory, json={"Form": "Server", "ServerName": PEER[0],
                                  "Password": PEER[1]}).raise_for_status()
    rows = session.get(f"{directory}?include_docs=true&limit=1000").json()["rows"]
    group = next(row for row in rows if row.get("ListName") == "LocalDomainServers")
    session.put(f"{directory}/{group['@unid']}",
                json={**group, "Members": [*group.get("Members", []), PEER[0]]}).raise_for_status()
    return PEER


def endpoint(server: AppServer, database: str, user: tuple[str, str] = ADMIN) -> str:
    """The URL of a database's replication endpoint, with credentials in it."""
    return f"http://{user[0]}:{user[1]}@127.0.0.1:{server.port}/replication/{database}"


@pytest.fixture
def pouchdb_server(tmp_path):
    """pouchdb-server (npm, LevelDB on disk) on a free port, as the benchmark runs it."""
    from bench._peers import PouchPeer

    if shutil.which("node") is None:
        pytest.fail("node is needed for the PouchDB interoperability tests (see the Makefile)")
    peer = PouchPeer(tmp_path / "pouchdb-server")
    peer.folder.mkdir(parents=True)
    peer.start()
    yield peer
    peer.stop()
