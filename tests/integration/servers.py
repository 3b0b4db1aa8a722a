"""Real processes for integration tests: ZEO servers and Domus app servers on loopback.

Every process is started with a bounded wait for readiness and killed in
``stop()``; fixtures call ``stop()`` in their teardown even when a test fails.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import requests

ADMIN = ("admin", "secret-pass-1")
READY_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def domus(var: Path, *args: str, storage: str | None = None, env: dict | None = None,
          check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run one ``domus`` command to completion."""
    command = [sys.executable, "-m", "core.cli", "--var", str(var)]
    if storage:
        command += ["--storage", storage]
    full_env = {**os.environ, "DOMUS_ADMIN_PASSWORD": ADMIN[1], **(env or {})}
    result = subprocess.run(command + list(args), capture_output=True, text=True, env=full_env,
                            timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"domus {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


class Process:
    """A background process with a log file."""

    def __init__(self, command: list[str], log: Path) -> None:
        self.log_path = log
        self._log = log.open("wb")
        self.popen = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT,
                                      start_new_session=True)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        self._log.close()

    def kill9(self) -> None:
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(10)
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


class ZeoServer(Process):
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        config = folder / "zeo.conf"
        config.write_text(
            f"<zeo>\n  address 127.0.0.1:{self.port}\n</zeo>\n"
            f"<filestorage>\n  path {folder}/Data.fs\n  blob-dir {folder}/blobs\n</filestorage>\n"
        )
        super().__init__([sys.executable, "-m", "ZEO.runzeo", "-C", str(config)], folder / "zeo.log")
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"ZEO did not start:\n{self.log()}")

    def uri(self, cache: Path) -> str:
        return f"zeo://127.0.0.1:{self.port}?blob_dir={cache}&shared_blob_dir=false"


class AppServer(Process):
    """``domus serve`` on a free port; ``url`` and an authenticated ``session``."""

    def __init__(self, var: Path, storage: str | None = None, threads: int = 8) -> None:
        self.var = var
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "core.cli", "--var", str(var)]
        if storage:
            command += ["--storage", storage]
        command += ["serve", "--port", str(self.port), "--threads", str(threads)]
        var.mkdir(parents=True, exist_ok=True)
        super().__init__(command, var / f"serve-{self.port}.log")
        self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                break
            try:
                if requests.get(f"{self.url}/api", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"server did not start:\n{self.log()}")

    def session(self) -> requests.Session:
        session = requests.Session()
        session.auth = ADMIN
        return session

    def docs(self, database: str = "documents") -> str:
        return f"{self.url}/api/databases/{database}/documents"


@contextlib.contextmanager
def zeo_cluster(folder: Path) -> Iterator[tuple[ZeoServer, list[AppServer]]]:
    """A ZEO server and two app servers on it, initialised once; all stopped afterwards."""
    zeo = ZeoServer(folder / "zeo")
    apps: list[AppServer] = []
    try:
        domus(folder / "a", "init", storage=zeo.uri(folder / "init-cache"))
        apps.append(AppServer(folder / "a", storage=zeo.uri(folder / "cache-a")))
        apps.append(AppServer(folder / "b", storage=zeo.uri(folder / "cache-b")))
        yield zeo, apps
    finally:
        for app in apps:
            app.stop()
        zeo.stop()


def eventually(fetch, predicate, seconds: float = 5.0):
    """``fetch()`` again until ``predicate`` holds of it or ``seconds`` pass; the last value."""
    deadline = time.monotonic() + seconds
    while True:
        value = fetch()
        if predicate(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.05)
