"""Servers a benchmark runs side by side: Domus and pouchdb-server, each as a real process.

Each peer is a small adapter (start, create a database, write one, write a
bulk, read by id, stop) so the workloads in ``bench/core.py`` are the same
code for both.  pouchdb-server is installed from npm into ``bench/.cache`` the
first time.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache"
POUCH_VERSION = "4.2.0"
PASSWORD = "bench-password-1"


def bench_module(name: str) -> ModuleType:
    """A sibling bench script by path (``core`` is taken by the server package)."""
    saved = list(sys.path)
    spec = importlib.util.spec_from_file_location(f"bench_{name}", Path(__file__).parent / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.path[:] = saved
    return module


def save_results(area: str, results: dict) -> Path:
    """Write a run's figures to ``bench/results/AREA-DATE.json`` and say where."""
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    path = out / f"{area}-{results['date']}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nfigures written to {path}")
    return path


def npm_install(package: str, version: str) -> Path:
    """``package@version`` from npm into bench/.cache/PACKAGE, the first time; its node_modules."""
    prefix = CACHE / package
    modules = prefix / "node_modules"
    if not (modules / package / "package.json").exists():
        if shutil.which("npm") is None or shutil.which("node") is None:
            raise RuntimeError(f"node and npm are needed to install {package} for the comparison")
        prefix.mkdir(parents=True, exist_ok=True)
        print(f"installing {package} {version} into {prefix} …", flush=True)
        subprocess.run(["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund",
                        "--loglevel=error", f"{package}@{version}"], check=True)
    return modules


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children, in MiB."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for one in pids:
        for line in Path(f"/proc/{one}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


class Peer:
    name = "peer"
    process: subprocess.Popen | None = None

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def session(self) -> requests.Session:
        return requests.Session()

    def launch(self, command: list[str], env: dict | None = None) -> float:
        """Start the server; return seconds until ``ready()`` answered."""
        log = (self.folder / f"{self.name}.log").open("ab")
        started = time.perf_counter()
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                        env={**os.environ, **(env or {})}, start_new_session=True)
        deadline = started + 600
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {log.name}")
            if self.ready():
                return time.perf_counter() - started
            time.sleep(0.02)
        raise RuntimeError(f"{self.name} did not become ready")

    def ready(self) -> bool:
        raise NotImplementedError

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def rss(self) -> float:
        assert self.process is not None
        return rss_mib(self.process.pid)


class DomusPeer(Peer):
    name = "domus"
    database = "bench"

    def _cli(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "core.cli", "--var", str(self.folder / "var"), *args]

    def start(self, probe_id: str | None = None) -> float:
        self.probe_id = probe_id
        if not (self.folder / "var").exists():
            subprocess.run(self._cli("init"), check=True, capture_output=True, cwd=ROOT,
                           env={**os.environ, "DOMUS_ADMIN_PASSWORD": PASSWORD})
        return self.launch(self._cli("serve", "--port", str(self.port), "--threads", "8"))

    def ready(self) -> bool:
        try:
            if self.probe_id:
                return requests.get(f"{self.docs()}/{self.probe_id}", auth=("admin", PASSWORD),
                                    timeout=2).status_code == 200
            return requests.get(f"{self.url}/api", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def session(self) -> requests.Session:
        session = requests.Session()
        session.auth = ("admin", PASSWORD)
        return session

    def docs(self) -> str:
        return f"{self.url}/api/databases/{self.database}/documents"

    def create_db(self) -> None:
        response = self.session().post(f"{self.url}/api/databases",
                                       json={"name": self.database, "template": "documents"})
        assert response.status_code in (201, 409), response.text

    def create_one(self, session: requests.Session, doc: dict) -> str:
        response = session.post(self.docs(), json=doc)
        assert response.status_code == 201, response.text
        return response.json()["@unid"]

    def create_bulk(self, session: requests.Session, docs: list[dict]) -> list[str]:
        response = session.post(self.docs(), json=docs)
        assert response.status_code == 201, response.text
        return [row["@unid"] for row in response.json()]

    def read(self, session: requests.Session, doc_id: str) -> None:
        response = session.get(f"{self.docs()}/{doc_id}")
        assert response.status_code == 200, response.text


class PouchPeer(Peer):
    name = "pouchdb-server"
    database = "bench"

    @staticmethod
    def install() -> Path:
        return npm_install("pouchdb-server", POUCH_VERSION) / ".bin" / "pouchdb-server"

    def start(self, probe_id: str | None = None) -> float:
        self.probe_id = probe_id
        data = self.folder / "pouch"
        data.mkdir(parents=True, exist_ok=True)
        config = data / "config.json"
        if not config.exists():
            config.write_text(json.dumps({"log": {"file": f"{data}/log.txt", "level": "error"}}))
        return self.launch([str(self.install()), "--host", "127.0.0.1", "--port", str(self.port),
                            "--dir", str(data), "--config", str(config), "--no-stdout-logs"])

    def ready(self) -> bool:
        try:
            if self.probe_id:
                url = f"{self.url}/{self.database}/{self.probe_id}"
                return requests.get(url, timeout=2).status_code == 200
            return requests.get(f"{self.url}/", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def create_db(self) -> None:
        response = requests.put(f"{self.url}/{self.database}")
        assert response.status_code in (201, 412), response.text

    def create_one(self, session: requests.Session, doc: dict) -> str:
        response = session.post(f"{self.url}/{self.database}", json=doc)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def create_bulk(self, session: requests.Session, docs: list[dict]) -> list[str]:
        response = session.post(f"{self.url}/{self.database}/_bulk_docs", json={"docs": docs})
        assert response.status_code == 201, response.text
        return [row["id"] for row in response.json()]

    def read(self, session: requests.Session, doc_id: str) -> None:
        response = session.get(f"{self.url}/{self.database}/{doc_id}")
        assert response.status_code == 200, response.text
