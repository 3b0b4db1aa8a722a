"""``kill -9`` during a write storm loses no acknowledged write."""
from __future__ import annotations

import threading
import time

import requests

from tests.integration.servers import AppServer, domus

STORM_SECONDS = 3


def test_every_acknowledged_write_survives_kill_9(var):
    server = AppServer(var)
    acknowledged: dict[str, tuple[str, dict]] = {}  # unid -> (rev, items)
    lock = threading.Lock()
    stop = threading.Event()

    def storm(tag: int) -> None:
        client = server.session()
        n = 0
        while not stop.is_set():
            n += 1
            items = {"Writer": tag, "N": n, "Subject": f"Документ {tag}-{n}"}
            try:
                response = client.post(server.docs(), json=items, timeout=5)
                if response.status_code != 201:
                    continue
                answer = response.json()
                with lock:
                    acknowledged[answer["@unid"]] = (answer["@rev"], items)
                if n % 3 == 0:
                    changed = {**items, "Subject": items["Subject"] + " (изменён)"}
                    url = f"{server.docs()}/{answer['@unid']}"
                    update = client.put(url, json=changed, headers={"If-Match": answer["@rev"]},
                                        timeout=5)
                    if update.status_code == 200:
                        with lock:
                            acknowledged[answer["@unid"]] = (update.json()["@rev"], changed)
            except (requests.RequestException, ValueError):
                return  # the server died under us: what it acknowledged is what counts

    threads = [threading.Thread(target=storm, args=(tag,)) for tag in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(STORM_SECONDS)
    server.kill9()
    stop.set()
    for thread in threads:
        thread.join(30)
    assert len(acknowledged) > 100, "the storm wrote too little to prove anything"

    restarted = AppServer(var)
    try:
        session = restarted.session()
        for unid, (rev, items) in acknowledged.items():
            document = session.get(f"{restarted.docs()}/{unid}").json()
            history = [entry["@rev"] for entry in session.get(
                f"{restarted.docs()}/{unid}/history").json()["history"]]
            assert rev in history, unid
            if document["@rev"] == rev:
                assert {name: document[name] for name in items} == items
    finally:
        restarted.stop()
    assert domus(var, "check").returncode == 0
