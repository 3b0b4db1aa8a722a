"""Revision ids and trees: deterministic ids, CouchDB's winner rule."""
from __future__ import annotations

import pytest

from core import revisions
from core.exceptions import BadRequest


def test_rev_is_deterministic_in_parent_and_content():
    a = revisions.make_rev(None, False, {"A": 1}, {})
    assert a == revisions.make_rev(None, False, {"A": 1}, {})
    assert a != revisions.make_rev(None, False, {"A": 2}, {})
    assert a != revisions.make_rev(None, True, {"A": 1}, {})
    assert a != revisions.make_rev(None, False, {"A": 1}, {"f.txt": "ab"})
    child = revisions.make_rev(a, False, {"A": 1}, {})
    assert child.startswith("2-") and child != a


def test_rev_hashes_the_canonical_json_of_parent_flag_parent_unid_items_and_files():
    import hashlib

    payload = revisions.canonical_json(["1-ab", True, "Ж/1", {"A": "б"}, [["f.txt", "cd"]]])
    expected = "2-" + hashlib.md5(payload.encode("utf-8")).hexdigest()
    assert revisions.make_rev("1-ab", True, {"A": "б"}, {"f.txt": "cd"}, "Ж/1") == expected
    assert revisions.make_rev("1-ab", True, '{"A":"б"}', {"f.txt": "cd"}, "Ж/1") == expected


def test_rev_does_not_depend_on_item_order():
    assert revisions.make_rev(None, False, {"A": 1, "B": 2}, {}) == revisions.make_rev(
        None, False, {"B": 2, "A": 1}, {}
    )


@pytest.mark.parametrize("bad", ["", "1", "0-abc", "x-abc", "1-XYZ", 5, None, "1-" + "a" * 65])
def test_malformed_revs_are_refused(bad):
    with pytest.raises(BadRequest):
        revisions.parse_rev(bad)


def test_winner_prefers_live_then_longer_then_greater_id():
    tree = {
        "1-a": (None, False),
        "2-b": ("1-a", False),
        "2-c": ("1-a", False),
        "3-d": ("2-b", True),
    }
    assert revisions.winner(tree) == "2-c"
    assert revisions.conflicts(tree) == []
    tree["3-e"] = ("2-c", False)
    tree["3-f"] = ("2-b", False)
    assert revisions.winner(tree) == "3-f"
    assert revisions.conflicts(tree) == ["3-e"]


def test_all_deleted_leaves_pick_the_longest():
    tree = {"1-a": (None, False), "2-b": ("1-a", True), "3-c": ("2-b", True)}
    assert revisions.winner(tree) == "3-c"


def test_ancestry_walks_to_the_root():
    tree = {"1-a": (None, False), "2-b": ("1-a", False), "3-c": ("2-b", False)}
    assert revisions.ancestry(tree, "3-c") == ["3-c", "2-b", "1-a"]


def test_ancestry_stops_at_a_stemmed_parent():
    tree = {"5-e": ("4-d", False), "6-f": ("5-e", False)}
    assert revisions.ancestry(tree, "6-f") == ["6-f", "5-e"]
