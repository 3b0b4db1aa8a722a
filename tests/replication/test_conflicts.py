"""Conflicts made by replication: shown as ``@conflicts``, resolved through ``…/resolve``."""
from __future__ import annotations

from tests.conftest import DOCS
from tests.replication.test_endpoint import HASH, push


def _conflict(api, memo) -> tuple[str, str]:
    """Our edit and a site's edit of the same revision: (winner, loser)."""
    ours = api.put_json(f"{DOCS}/{memo['@unid']}", {"Form": "Memo", "Subject": "у нас"},
                        headers={"If-Match": memo["@rev"]}).json["@rev"]
    theirs = f"2-{HASH}"
    push(api, [{"_id": memo["@unid"], "_rev": theirs, "Form": "Memo", "Subject": "на площадке",
                "_revisions": {"start": 2, "ids": [HASH, memo["@rev"][2:]]}}])
    return max(ours, theirs), min(ours, theirs)


def test_keeping_the_loser_deletes_the_winner_branch(api, memo):
    winner, loser = _conflict(api, memo)
    shown = api.get(f"{DOCS}/{memo['@unid']}").json
    assert shown["@rev"] == winner and shown["@conflicts"] == [loser]
    answer = api.post_json(f"{DOCS}/{memo['@unid']}/resolve", {"keep": loser}).json
    assert answer["@rev"] == loser
    after = api.get(f"{DOCS}/{memo['@unid']}").json
    assert after["@rev"] == loser and "@conflicts" not in after
    leaves = api.get(f"/replication/documents/{memo['@unid']}?open_revs=all").json
    assert sorted(leaf["ok"].get("_deleted", False) for leaf in leaves) == [False, True]


def test_a_merged_body_replaces_both_sides(api, memo):
    winner, loser = _conflict(api, memo)
    merged = api.post_json(f"{DOCS}/{memo['@unid']}/resolve",
                           {"keep": winner, "merged": {"Form": "Memo", "Subject": "вместе"}}).json
    after = api.get(f"{DOCS}/{memo['@unid']}").json
    assert after["@rev"] == merged["@rev"] and after["@rev"].startswith("3-")
    assert after["Subject"] == "вместе" and "@conflicts" not in after


def test_resolving_needs_a_conflict_and_a_live_revision(api, memo):
    api.post_json(f"{DOCS}/{memo['@unid']}/resolve", {"keep": memo["@rev"]}, status=400)
    winner, _ = _conflict(api, memo)
    api.post_json(f"{DOCS}/{memo['@unid']}/resolve", {"keep": memo["@rev"]}, status=409)
    api.post_json(f"{DOCS}/{memo['@unid']}/resolve", {"merged": {}}, status=400)
    api.post_json(f"{DOCS}/{memo['@unid']}/resolve", {"keep": winner, "merged": {"_x": 1}},
                  status=400)
    assert len(api.get(f"{DOCS}/{memo['@unid']}").json["@conflicts"]) == 1


def test_views_mark_the_conflict_until_it_is_resolved(api, memo):
    def marked() -> bool:
        rows = api.get("/api/databases/documents/views/AllByForm?expand=true&count=100").json["rows"]
        return any(row.get("@conflict") for row in rows if row.get("@unid") == memo["@unid"])

    assert not marked()
    winner, _ = _conflict(api, memo)
    assert marked()
    api.post_json(f"{DOCS}/{memo['@unid']}/resolve", {"keep": winner})
    assert not marked()
