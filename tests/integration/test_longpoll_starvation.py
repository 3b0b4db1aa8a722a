"""Longpoll requests never starve a real waitress server (issue 13, finding 7).

The server runs with two ordinary threads; the waiting slots (8 on the
server, 2 per user, the defaults) have threads of their own.  Longpolls on
both feeds fill them, and ordinary requests still answer at once; a longpoll
beyond a user's share or the server's slots is answered 429 at once.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.integration.servers import ADMIN, AppServer, domus

PASSWORD = "Waiting-password-1"
USERS = ("w1", "w2", "w3", "w4")
FEED = "/api/databases/documents/changes"
COUCH_FEED = "/replication/documents/_changes"
WAIT_MS = 30_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("waiting") / "var"
    domus(var, "init")
    app = AppServer(var, threads=2)
    admin = app.session()
    for name in USERS:
        admin.post(f"{app.url}/api/databases/directory/documents", json={
            "Form": "Person", "UserName": name, "FullName": name, "Password": PASSWORD,
        }).raise_for_status()
    acl = admin.get(f"{app.url}/api/databases/documents/acl").json()
    acl["entries"] += [{"name": name, "type": "person", "level": "reader", "roles": []}
                       for name in USERS]
    admin.put(f"{app.url}/api/databases/documents/acl", json=acl).raise_for_status()
    for name in USERS:  # the password's slow hash is then remembered: longpolls start at once
        requests.get(f"{app.url}{FEED}", auth=(name, PASSWORD), timeout=30).raise_for_status()
    yield app
    app.stop()


class Waiters:
    """Longpolls held open in threads of the test; a write ends them all."""

    def __init__(self, server: AppServer) -> None:
        self.server = server
        self.pool = ThreadPoolExecutor(max_workers=16)
        self.futures = []
        self.since = server.session().get(f"{server.url}{FEED}").json()["last_seq"]

    def open(self, user: tuple[str, str], couch: bool = False) -> None:
        if couch:
            url, params = f"{self.server.url}{COUCH_FEED}", {"since": "now"}
        else:
            url, params = f"{self.server.url}{FEED}", {"since": self.since}
        self.futures.append(self.pool.submit(
            requests.get, url, params={**params, "feed": "longpoll", "timeout": WAIT_MS},
            auth=user, timeout=60))

    def settle(self) -> None:
        """Let the longpolls reach their wait (each answer would come at once otherwise)."""
        time.sleep(1.5)
        assert not any(future.done() for future in self.futures), [
            future.result().text for future in self.futures if future.done()]

    def end(self) -> list[int]:
        self.server.session().post(self.server.docs(), json={"Form": "Memo", "Subject": "wake"})
        statuses = [future.result().status_code for future in self.futures]
        self.pool.shutdown()
        return statuses


def _timed_get(url: str, auth) -> tuple[int, float]:
    started = time.monotonic()
    response = requests.get(url, auth=auth, timeout=30)
    return response.status_code, time.monotonic() - started


def test_one_users_longpolls_beyond_their_share_are_429_at_once(server):
    waiters = Waiters(server)
    waiters.open(ADMIN)
    waiters.open(ADMIN, couch=True)
    waiters.settle()
    for url in (f"{server.url}{FEED}?feed=longpoll&since={waiters.since}",
                f"{server.url}{COUCH_FEED}?feed=longpoll&since=now"):
        started = time.monotonic()
        third = requests.get(url, auth=ADMIN, timeout=30)
        assert third.status_code == 429 and time.monotonic() - started < 1, third.text
        assert third.headers["Retry-After"] and "domus.max_waiting_per_user" in third.text
    other = requests.get(f"{server.url}{FEED}?since={waiters.since}", auth=("w1", PASSWORD), timeout=5)
    assert other.status_code == 200  # another user's normal feed is not held up
    assert waiters.end() == [200, 200]


def test_ordinary_requests_answer_while_every_waiting_slot_is_held(server):
    waiters = Waiters(server)
    for number, name in enumerate(USERS):
        for couch in (False, True):
            waiters.open((name, PASSWORD), couch=couch and number % 2 == 0)
    waiters.settle()
    refused = requests.get(f"{server.url}{FEED}?feed=longpoll&since={waiters.since}", auth=ADMIN,
                           timeout=30)
    assert refused.status_code == 429 and "domus.max_waiting_requests" in refused.text
    results: list[tuple[int, float]] = []
    urls = [f"{server.url}/api/databases/documents", f"{server.url}{FEED}?since=0&limit=5",
            f"{server.url}/replication/documents"] * 4
    threads = [threading.Thread(target=lambda url=url: results.append(_timed_get(url, ADMIN)))
               for url in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(status for status, _ in results) == [200] * len(urls)
    assert max(seconds for _, seconds in results) < 1.5, results
    assert waiters.end() == [200] * 8
