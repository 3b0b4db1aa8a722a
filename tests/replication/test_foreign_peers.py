"""The replicator with a peer no one here wrote: pouchdb-server as target and as source."""
from __future__ import annotations

import requests

from replication.peers import Peer
from replication.replicator import Replicator
from tests.replication.conftest import add_peer_identity, endpoint
from tests.replication.test_endpoint import HASH

DB = "archive"


def _leaves(session, url: str) -> dict:
    feed = session.get(f"{url}/_changes?style=all_docs").json()["results"]
    out = {}
    for row in feed:
        leaves = session.get(f"{url}/{row['id']}?open_revs=all&revs=true",
                             headers={"Accept": "application/json"}).json()
        out[row["id"]] = sorted((leaf["ok"]["_rev"], leaf["ok"].get("Subject"),
                                 sorted((leaf["ok"].get("_attachments") or {}).keys()))
                                for leaf in leaves)
    return out


def test_domus_replicates_to_pouchdb_server_and_back(site_a, pouchdb_server):
    a = site_a.session()
    a.post(f"{site_a.url}/api/databases", json={"name": DB, "template": "documents"}).raise_for_status()
    docs = f"{site_a.url}/api/databases/{DB}/documents"
    letter = a.post(docs, json={"Form": "Memo", "Subject": "Письмо"}).json()
    a.put(f"{docs}/{letter['@unid']}/attachments/скан.txt", data="скан".encode(),
          headers={"If-Match": letter["@rev"], "Content-Type": "text/plain"}).raise_for_status()
    gone = a.post(docs, json={"Form": "Memo", "Subject": "Удалить"}).json()
    a.delete(f"{docs}/{gone['@unid']}", headers={"If-Match": gone["@rev"]})
    a.post(f"{site_a.url}/replication/{DB}/_bulk_docs", json={"new_edits": False, "docs": [
        {"_id": letter["@unid"], "_rev": f"2-{HASH}", "Subject": "на площадке",
         "_revisions": {"start": 2, "ids": [HASH, letter["@rev"][2:]]}}]}).raise_for_status()

    pouch = f"{pouchdb_server.url}/copy"
    there = Replicator(Peer(endpoint(site_a, DB)), Peer(pouch), create_target=True).run()
    assert there.failures == 0 and there.docs_written == 3  # both leaves of the conflict, the stub
    # Authorship and dates made on site A come back as they were: only with a server identity.
    back = Replicator(Peer(pouch), Peer(endpoint(site_a, "frompouch", add_peer_identity(site_a))),
                      create_target=True).run()
    assert back.failures == 0 and back.docs_written == 3

    ours, theirs = _leaves(a, f"{site_a.url}/replication/{DB}"), _leaves(requests.Session(), pouch)
    assert ours == theirs == _leaves(a, f"{site_a.url}/replication/frompouch")
    assert len(ours[letter["@unid"]]) == 2
    conflicted = a.get(f"{site_a.url}/api/databases/frompouch/documents/{letter['@unid']}").json()
    assert conflicted["@conflicts"] and conflicted == {
        **a.get(f"{docs}/{letter['@unid']}").json()}
