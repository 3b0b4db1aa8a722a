"""The ``domus`` command as an operator runs it."""
from __future__ import annotations

import json
import signal
import zipfile

import requests

from tests.integration.servers import AppServer, domus


def test_export_then_import_into_an_empty_server_is_byte_identical(tmp_path):
    source = tmp_path / "source"
    init = domus(source, "init", "--demo")
    assert "sample documents loaded" in init.stdout
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"
    exported = domus(source, "export", "documents", str(first))
    assert "exported" in exported.stdout
    fresh = tmp_path / "fresh"
    imported = domus(fresh, "import", str(first))
    assert "imported" in imported.stdout
    domus(fresh, "export", "documents", str(second))
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        lines = archive.read("documents.jsonl").splitlines()
        assert len(lines) > 300
        assert any(name.startswith("attachments/") for name in archive.namelist())
        assert all(json.loads(line)["revisions"] for line in lines)


def test_user_add_makes_a_login_that_works(tmp_path):
    var = tmp_path / "var"
    domus(var, "init")
    added = domus(var, "user", "add", "ivanova", "--full-name", "Иванова А. С.",
                  env={"DOMUS_USER_PASSWORD": "Kazan-2026!"})
    assert "ivanova" in added.stdout
    server = AppServer(var)
    try:
        assert requests.get(f"{server.url}/api", auth=("ivanova", "Kazan-2026!")).json()["user"] == "ivanova"
        assert requests.get(f"{server.url}/api/databases", auth=("ivanova", "wrong")).status_code == 401
    finally:
        server.stop()


def test_server_add_prints_a_credential_the_peer_logs_in_with(tmp_path):
    var = tmp_path / "var"
    domus(var, "init")
    added = domus(var, "server", "add", "kzn-vakhitov", "--title", "Вахитовский район")
    credential = added.stdout.strip().splitlines()[-1].rsplit(" ", 1)[-1]
    assert "LocalDomainServers" in added.stdout and len(credential) >= 24
    server = AppServer(var)
    try:
        peer = requests.Session()
        peer.auth = ("kzn-vakhitov", credential)
        assert peer.get(f"{server.url}/api").json()["user"] == "kzn-vakhitov"
        # LocalDomainServers are Managers of the shipped databases: the peer may push.
        info = peer.get(f"{server.url}/api/databases/documents").json()
        assert info["access"]["level"] == "manager"
    finally:
        server.stop()


def test_user_add_of_a_taken_name_fails_clearly(var):
    domus(var, "user", "add", "petrov", env={"DOMUS_USER_PASSWORD": "Kazan-2026!"})
    again = domus(var, "user", "add", "Petrov", env={"DOMUS_USER_PASSWORD": "Kazan-2026!"}, check=False)
    assert again.returncode == 1
    assert "taken" in again.stderr


def test_init_prints_a_generated_password_once(tmp_path):
    var = tmp_path / "var"
    first = domus(var, "init", env={"DOMUS_ADMIN_PASSWORD": ""})
    assert "created with password" in first.stdout
    second = domus(var, "init", env={"DOMUS_ADMIN_PASSWORD": ""})
    assert "password" not in second.stdout


def test_plugins_lists_the_builtins(var):
    listing = domus(var, "plugins").stdout
    assert "core.identity" in listing and "core.maintenance" in listing


def test_check_passes_on_a_demo_database(tmp_path):
    var = tmp_path / "var"
    domus(var, "init", "--demo")
    result = domus(var, "check")
    assert result.stdout.strip().endswith("ok")
    assert "documents:" in result.stdout


def test_a_bad_setting_stops_with_exit_2_naming_it(tmp_path):
    ini = tmp_path / "bad.ini"
    ini.write_text("[app:main]\nuse = egg:domus\ndomus.page_size = -3\n")
    result = domus(tmp_path / "var", "--config", str(ini), "check", check=False)
    assert result.returncode == 2
    assert "domus.page_size" in result.stderr


def test_export_of_an_unknown_database_fails_clearly(var, tmp_path):
    result = domus(var, "export", "nope", str(tmp_path / "x.zip"), check=False)
    assert result.returncode == 1
    assert "no database named 'nope'" in result.stderr


def test_serve_stops_cleanly_on_sigterm_and_keeps_the_writes(var):
    index = var / "Data.fs.index"
    before = index.stat().st_mtime_ns
    server = AppServer(var)
    created = server.session().post(server.docs(), json={"Subject": "до остановки"}).json()
    server.popen.send_signal(signal.SIGTERM)
    assert server.popen.wait(20) == 0
    server.stop()
    assert index.stat().st_mtime_ns > before  # written by a clean close: the next start is fast
    again = AppServer(var)
    try:
        assert again.session().get(f"{again.docs()}/{created['@unid']}").json()["Subject"] == "до остановки"
    finally:
        again.stop()
