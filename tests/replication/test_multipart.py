"""``GET {docid}?open_revs=…`` with ``Accept: multipart/mixed``, asked of a real server as CouchDB's
replicator asks it, and read back with the standard library's MIME parser."""
from __future__ import annotations

import email
import email.policy
import json

DB = "documents"
SCAN = bytes(range(256)) * 400  # binary, not text: it must arrive byte for byte


def _parts(response) -> list:
    """The top-level parts of a ``multipart/mixed`` answer."""
    assert response.status_code == 200, response.text[:300]
    head = f"Content-Type: {response.headers['Content-Type']}\r\n\r\n".encode()
    message = email.message_from_bytes(head + response.content, policy=email.policy.HTTP)
    assert message.get_content_type() == "multipart/mixed"
    return list(message.iter_parts())


def _letter_with_scan(server) -> tuple[str, str, str]:
    """A document whose first revision got a scan and whose second changed an item."""
    api, docs = server.session(), f"{server.url}/api/databases/{DB}/documents"
    made = api.post(docs, json={"Form": "Memo", "Subject": "со сканом"}).json()
    with_scan = api.put(f"{docs}/{made['@unid']}/attachments/скан.pdf", data=SCAN,
                        headers={"If-Match": made["@rev"], "Content-Type": "application/pdf"}).json()
    edited = api.put(f"{docs}/{made['@unid']}",
                     json={"Form": "Memo", "Subject": "исправлено", "@rev": with_scan["@rev"]}).json()
    return made["@unid"], with_scan["@rev"], edited["@rev"]


def test_open_revs_in_multipart_sends_files_raw_after_the_document(site_a):
    unid, with_scan, edited = _letter_with_scan(site_a)
    missing = "9-0123456789abcdef0123456789abcdef"
    asked = site_a.session().get(
        f"{site_a.url}/replication/{DB}/{unid}", headers={"Accept": "multipart/mixed"},
        params={"revs": "true", "latest": "true", "open_revs": json.dumps([with_scan, missing])})
    found, absent = _parts(asked)

    assert found.get_content_type() == "multipart/related"
    document, scan = found.iter_parts()
    doc = json.loads(document.get_content())
    assert doc["_rev"] == edited and doc["Subject"] == "исправлено"  # latest=true: the leaf
    assert doc["_revisions"]["start"] == 3 and len(doc["_revisions"]["ids"]) == 3
    entry = doc["_attachments"]["скан.pdf"]
    assert entry["follows"] is True and entry["length"] == len(SCAN) and "data" not in entry
    assert scan.get_filename() == "скан.pdf" and scan.get_content_type() == "application/pdf"
    assert scan.get_payload(decode=True) == SCAN

    assert absent.get_content_type() == "application/json" and absent.get_param("error") == "true"
    assert json.loads(absent.get_content()) == {"missing": missing}


def test_files_the_peer_has_since_atts_since_stay_stubs(site_a):
    unid, with_scan, edited = _letter_with_scan(site_a)
    asked = site_a.session().get(
        f"{site_a.url}/replication/{DB}/{unid}", headers={"Accept": "multipart/mixed"},
        params={"revs": "true", "open_revs": json.dumps([edited]), "atts_since": json.dumps([with_scan])})
    (only,) = _parts(asked)
    assert only.get_content_type() == "application/json"
    entry = json.loads(only.get_content())["_attachments"]["скан.pdf"]
    assert entry["stub"] is True and entry["revpos"] == 2 and "follows" not in entry

    as_json = site_a.session().get(f"{site_a.url}/replication/{DB}/{unid}", params={
        "open_revs": json.dumps([edited]), "attachments": "true"}, headers={"Accept": "application/json"})
    assert as_json.json()[0]["ok"]["_attachments"]["скан.pdf"]["data"]  # PouchDB's way: unchanged
