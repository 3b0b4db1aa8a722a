"""The counted B+tree against a plain sorted list, under random inserts and removals."""
from __future__ import annotations

import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from core.storage import open_db
from views.ordered import CountedTree, Measure, separator

# Keys shaped like a view's: a column's (rank, value) pairs, then the (tail, UNID, n) element.
keys = st.tuples(st.integers(0, 400), st.text("абв", max_size=2),
                 st.tuples(st.integers(7, 8), st.text("AB0", max_size=4), st.integers(0, 2)))
operations = st.lists(st.tuples(st.booleans(), keys), max_size=600)


def _check(tree: CountedTree, model: dict) -> None:
    expected = sorted(model.items())
    assert len(tree) == len(expected)
    assert list(tree.items()) == expected
    assert list(tree.items_backwards()) == expected[::-1]
    for offset in (0, 1, len(expected) // 2, len(expected) - 1, len(expected) + 3):
        assert list(tree.items(offset))[:3] == expected[offset:offset + 3]
    for key, value in expected[::17]:
        assert tree.get(key) == value and key in tree
        assert tree.rank(key) == expected.index((key, value))
        assert tree.sums_before(key) == [sum(v[0] for k, v in expected if k < key)]
        assert tree.sum_range(key, (300,)) == [sum(v[0] for k, v in expected if key <= k < (300,))]
    assert tree.sum_range(None, None) == [sum(v[0] for _, v in expected)]
    if expected:
        low, high = expected[0][0], expected[-1][0]
        assert tree.count_range(low, high) == len(expected) - 1
        assert list(tree.items_from((200,))) == [kv for kv in expected if kv[0] >= (200,)]
        assert list(tree.items_from((200, "б"))) == [kv for kv in expected if kv[0] >= (200, "б")]


@settings(max_examples=60, deadline=None)
@given(operations)
def test_random_changes_keep_order_counts_and_offsets(steps):
    # Small nodes: a few entries already split.  Each value is its own measure: (number,).
    tree, model = CountedTree(leaf_size=4, branch_size=4, measure=Measure(1)), {}
    for number, (insert, key) in enumerate(steps):
        if insert:
            assert tree.insert(key, (key[0] * 2 + number % 3,)) == (key not in model)
            model[key] = (key[0] * 2 + number % 3,)
        else:
            assert tree.remove(key) == (key in model)
            model.pop(key, None)
    _check(tree, model)


def test_replacing_values_moves_the_sums():
    tree = CountedTree(leaf_size=4, branch_size=4, measure=Measure(2))
    for n in range(100):
        tree.insert((n,), (n, 1))
    for n in range(0, 100, 3):
        tree.insert((n,), (0, 5))  # replaced: the count stays, the sums move
    kept = [n for n in range(100) if n % 3]
    assert len(tree) == 100
    assert tree.sum_range(None, None) == [sum(kept), len(kept) + 5 * (100 - len(kept))]
    assert tree.sum_range((10,), (20,)) == [sum(n for n in kept if 10 <= n < 20),
                                           sum(1 if n % 3 else 5 for n in range(10, 20))]


@given(keys, keys)
def test_a_separator_lies_between_its_keys_and_is_never_longer(one, other):
    if one == other:
        return
    low, high = sorted((one, other))
    cut = separator(low, high)
    assert low < cut <= high
    assert len(repr(cut)) <= len(repr(high))


def test_a_hundred_thousand_entries_persist_and_answer_by_offset(tmp_path):
    db = open_db(f"file://{tmp_path}/Data.fs")
    try:
        connection = db.open()
        tree = connection.root()["tree"] = CountedTree()
        for n in range(100_000):
            tree.insert((n * 7 % 100_000,), n)
        for n in range(0, 100_000, 3):
            tree.remove((n,))
        transaction.commit()
        connection.close()
        connection = db.open()
        tree = connection.root()["tree"]
        remaining = [n for n in range(100_000) if n % 3]
        assert len(tree) == len(remaining)
        assert [key for key, _ in tree.items(50_000)][:5] == [(n,) for n in remaining[50_000:50_005]]
        assert tree.rank((99_998,)) == len(remaining) - 1
        assert tree.count_range((10,), (20,)) == len([n for n in remaining if 10 <= n < 20])
        connection.close()
    finally:
        db.close()
