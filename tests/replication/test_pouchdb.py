"""Interoperability: real PouchDB 9 replicates with a real Domus server, both ways.

PouchDB (LevelDB on disk, run by Node) holds documents with attachments, a
deletion and a conflict; it pushes them to Domus, Domus edits some and adds
its own, and everything is pulled back into the first PouchDB and into a
fresh one.  Afterwards the three copies hold the same documents, the same
winning revisions, the same ``_conflicts`` and the same attachments.
"""
from __future__ import annotations

import base64

from tests.replication.conftest import endpoint

DATABASE = "pouchtest"


def test_pouchdb_replicates_to_domus_and_back(pouch, site_a, tmp_path):
    url = endpoint(site_a, DATABASE)
    local, fresh = str(tmp_path / "local"), str(tmp_path / "fresh")
    pouch("fill", local)

    pushed = pouch("replicate", local, url)
    assert pushed["ok"] and pushed["doc_write_failures"] == 0, pushed
    assert pouch("dump", url) == pouch("dump", local)

    api = site_a.session()
    docs = f"{site_a.url}/api/databases/{DATABASE}/documents"
    letter = api.get(f"{docs}/letter-1").json()
    assert letter["Pages"] == 3
    edited = api.put(f"{docs}/letter-1", json={**letter, "Pages": 4}).json()
    made = api.post(docs, json={"Form": "Memo", "Subject": "сделано в Domus"}).json()
    api.put(f"{docs}/{made['@unid']}/attachments/отчёт.txt", data="итоги".encode(),
            headers={"If-Match": made["@rev"], "Content-Type": "text/plain"}).raise_for_status()
    conflicted = api.get(f"{docs}/conflicted").json()
    assert conflicted["Subject"] == "side B" and len(conflicted["@conflicts"]) == 1

    assert pouch("replicate", url, local)["doc_write_failures"] == 0
    assert pouch("replicate", url, fresh)["doc_write_failures"] == 0
    theirs, ours, again = pouch("dump", local), pouch("dump", url), pouch("dump", fresh)
    assert theirs == ours == again
    assert theirs["docs"]["letter-1"]["rev"] == edited["@rev"]
    assert theirs["docs"]["letter-1"]["body"]["Pages"] == 4
    assert theirs["docs"]["conflicted"]["rev"] == "2-" + "b" * 32
    assert theirs["docs"]["conflicted"]["conflicts"] == ["2-" + "a" * 32]
    assert "memo/3" in theirs["docs"] and "to-delete" in theirs["deleted"]
    assert set(theirs["docs"][made["@unid"]]["attachments"]) == {"отчёт.txt"}

    scan = api.get(f"{docs}/letter-2/attachments/scan.txt")
    assert scan.content == "скан письма\n".encode() * 200
    digest = theirs["docs"]["letter-2"]["attachments"]["scan.txt"]["digest"]
    assert digest == "md5-" + base64.b64encode(bytes.fromhex(
        api.get(f"{docs}/letter-2").json()["@attachments"]["scan.txt"]["md5"])).decode()


def test_pouchdb_edits_after_replication_travel_as_new_revisions(pouch, site_a, tmp_path):
    url = endpoint(site_a, DATABASE)
    local = str(tmp_path / "local")
    pouch("fill", local)
    pouch("replicate", local, url)
    pouch("edit", local, "memo/3", "Subject", "изменено в PouchDB")
    pouch("edit", local, "memo/3", "Subject", "и ещё раз")
    assert pouch("replicate", local, url)["docs_written"] == 1
    ours = site_a.session().get(f"{site_a.url}/replication/{DATABASE}/memo%2F3?revs=true").json()
    assert ours["Subject"] == "и ещё раз" and ours["_rev"].startswith("3-")
    assert len(ours["_revisions"]["ids"]) == 3  # the middle one known by id only
    assert pouch("replicate", local, url)["docs_written"] == 0  # nothing twice
