"""Attachments: streamed into blobs with digests, downloaded intact, names checked."""
from __future__ import annotations

import hashlib
from urllib.parse import quote

import pytest

from tests.conftest import DOCS


def _put(api, memo, name, data, status=201, content_type="application/pdf", rev=None):
    url = f"{DOCS}/{memo['@unid']}/attachments/{quote(name)}"
    return api.put(url, data, headers={"If-Match": rev or memo["@rev"], "Content-Type": content_type},
                   status=status, expect_errors=status >= 400)


def test_upload_records_length_and_both_digests(api, memo):
    data = b"%PDF-1.4 " + bytes(range(256)) * 100
    answer = _put(api, memo, "письмо.pdf", data).json
    assert answer["length"] == len(data)
    assert answer["sha256"] == hashlib.sha256(data).hexdigest()
    assert answer["md5"] == hashlib.md5(data).hexdigest()
    document = api.get(f"{DOCS}/{memo['@unid']}").json
    assert document["@rev"] == answer["@rev"]
    assert document["@attachments"]["письмо.pdf"]["contentType"] == "application/pdf"


def test_download_gives_the_same_bytes_as_a_safe_attachment(api, memo):
    data = b"<html><script>alert(1)</script></html>"
    _put(api, memo, "page.html", data, content_type="text/html")
    response = api.get(f"{DOCS}/{memo['@unid']}/attachments/page.html")
    assert response.body == data
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox"


def test_upload_needs_the_current_revision(api, memo):
    _put(api, memo, "a.txt", b"x", rev="1-" + "0" * 32, status=409)
    assert "@attachments" not in api.get(f"{DOCS}/{memo['@unid']}").json


def test_upload_over_the_limit_is_413_and_stores_nothing(app, api, memo):
    app.registry.settings["domus.max_attachment_bytes"] = 100
    api.app.registry.settings["domus.max_attachment_bytes"] = 100
    _put(api, memo, "big.bin", b"x" * 101, status=413)
    assert api.get(f"{DOCS}/{memo['@unid']}").json["@rev"] == memo["@rev"]


@pytest.mark.parametrize("name", ["../etc/passwd", "a/b.txt", "a\\b.txt", ".hidden", "..", "x\x00y"])
def test_path_tricks_in_names_are_400(api, memo, name):
    answer = _put(api, memo, name, b"x", status=400).json
    assert answer["error"] == ("invalid_text" if "\x00" in name else "invalid_name")  # a NUL in the URL
    assert api.get(f"{DOCS}/{memo['@unid']}").json["@rev"] == memo["@rev"]


def test_old_revision_keeps_the_old_file(api, memo):
    first = _put(api, memo, "scan.txt", b"first").json
    second = _put(api, memo, "scan.txt", b"second", rev=first["@rev"]).json
    assert second["sha256"] != first["sha256"]
    old = api.get(f"{DOCS}/{memo['@unid']}/history/{first['@rev']}").json
    assert old["@attachments"]["scan.txt"]["sha256"] == hashlib.sha256(b"first").hexdigest()
    history = api.get(f"{DOCS}/{memo['@unid']}/history").json["history"]
    assert history[0]["changed"] == ["@attachments/scan.txt"]


def test_delete_attachment_makes_a_revision_without_it(api, memo):
    first = _put(api, memo, "scan.txt", b"data").json
    url = f"{DOCS}/{memo['@unid']}/attachments/scan.txt"
    answer = api.delete(url, headers={"If-Match": first["@rev"]}).json
    assert "@attachments" not in api.get(f"{DOCS}/{memo['@unid']}").json
    assert answer["@rev"].startswith("3-")
    api.get(url, status=404)


def test_unknown_attachment_is_404(api, memo):
    answer = api.get(f"{DOCS}/{memo['@unid']}/attachments/none.txt", status=404).json
    assert answer["error"] == "not_found"


def test_update_of_items_keeps_attachments(api, memo):
    first = _put(api, memo, "scan.txt", b"data").json
    api.put_json(f"{DOCS}/{memo['@unid']}", {"Subject": "new"}, headers={"If-Match": first["@rev"]})
    response = api.get(f"{DOCS}/{memo['@unid']}/attachments/scan.txt")
    assert response.body == b"data"


def test_restore_brings_attachments_back(api, memo):
    first = _put(api, memo, "scan.txt", b"data").json
    api.delete(f"{DOCS}/{memo['@unid']}", headers={"If-Match": first["@rev"]})
    api.get(f"{DOCS}/{memo['@unid']}/attachments/scan.txt", status=404)
    api.post(f"{DOCS}/{memo['@unid']}/restore")
    assert api.get(f"{DOCS}/{memo['@unid']}/attachments/scan.txt").body == b"data"
