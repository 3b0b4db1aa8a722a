"""A hostile ``_bulk_get`` against a real server process: refused, and its memory stays put."""
from __future__ import annotations

from pathlib import Path

import requests

MEGABYTE = bytes(range(256)) * 4096
#: What a refused request may leave behind in the server's resident memory.
ALLOWED_GROWTH_BYTES = 50 * 1024 * 1024


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc")


def test_bulk_get_of_one_file_300_times_is_413_and_the_server_rss_stays(server):
    session = server.session()
    docs = server.docs()
    made = session.post(docs, json={"Form": "Memo", "Subject": "Скан"}).json()
    rev = session.put(f"{docs}/{made['@unid']}/attachments/scan.pdf", data=MEGABYTE,
                      headers={"If-Match": made["@rev"], "Content-Type": "application/pdf"}).json()["@rev"]
    token = session.post(f"{server.url}/api/tokens", json={"label": "r", "readOnly": True}).json()["token"]
    reader = requests.Session()
    reader.headers["Authorization"] = f"Bearer {token}"
    url = f"{server.url}/replication/documents/_bulk_get?attachments=true&revs=true"
    entry = {"id": made["@unid"], "rev": rev}
    assert reader.post(url, json={"docs": [entry] * 3}).status_code == 200  # warm up, and legitimate
    before = _rss(server.popen.pid)
    refused = reader.post(url, json={"docs": [entry] * 300})
    assert refused.status_code == 413 and refused.json()["error"] == "too_large"
    assert _rss(server.popen.pid) - before < ALLOWED_GROWTH_BYTES
    few = reader.post(url, json={"docs": [entry, entry]})
    assert few.status_code == 200
    assert [len(r["docs"][0]["ok"]["_attachments"]["scan.pdf"]["data"]) for r in few.json()["results"]] \
        == [4 * (len(MEGABYTE) // 3 + 1)] * 2
    assert session.get(f"{server.url}/api").status_code == 200
