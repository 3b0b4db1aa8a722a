"""Incremental view indexes equal indexes built from scratch, after any sequence of changes.

Hypothesis writes random documents (creates, updates, deletions, restores and
response documents moved between parents) through the real Writer, and
between the writes the worker's steps happen: the journal's entries are
applied a few at a time, reads catch single views up, the summary log follows
the feed, and a rebuild of a view starts and advances a few changes at a time
while saves go on.  After
each sequence every view's index — rows, response trees, the rows per set of
Readers and the click-to-sort columns' keys — must be exactly what a fresh
build over the same documents gives.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.database import Database
from core.plugins import make_plugin_manager
from core.root import server_root
from core.storage import connection_scope, open_db
from core.templates import install_database
from core.writes import Writer
from views import catalog, journal, summaries
from views.collation import column_key
from views.index import ViewIndex, number_sum, state_of
from views.reading import Query, ViewReader

DEPTS = ["ЖКХ", "Образование", "Финансы", ""]
DESIGN = {
    "forms": {"Memo": {"items": [{"name": n} for n in ("Subject", "Dept", "Tags", "Pages")]}},
    "acl": {"entries": [{"name": "-Default-", "type": "unspecified", "level": "manager",
                         "roles": [], "canCreate": True, "canDelete": True}], "roles": []},
    "roles": [],
    "views": {
        "ByDept": {"selection": 'Form = "Memo"', "responses": True, "columns": [
            {"name": "Dept", "value": "Dept", "sort": "ascending", "categorized": True},
            {"name": "Pages", "value": "Pages", "sort": "descending", "totals": True},
            {"name": "Subject", "value": "Subject", "resort": True}]},
        "ByTag": {"selection": '@Elements(Tags) > 0', "columns": [
            {"name": "Tags", "value": "Tags", "sort": "ascending", "multiple": True},
            {"name": "Subject", "value": "Subject", "resort": True}]},
        "Unsorted": {"selection": "@True", "columns": [{"name": "Subject", "value": "Subject"}]},
    },
}

items = st.fixed_dictionaries({
    "Form": st.sampled_from(["Memo", "Memo", "Letter"]),
    "Subject": st.text("абвгд", max_size=4),
    "Dept": st.sampled_from(DEPTS),
    "Tags": st.lists(st.sampled_from(["срочно", "контроль", "архив"]), max_size=3),
    "Pages": st.integers(0, 5),
    "Readers": st.sampled_from([[], [], ["ivanova"]]),
})
ACTIONS = ["create", "update", "delete", "restore", "move", "follow", "build", "apply", "read"]
steps = st.lists(st.tuples(st.sampled_from(ACTIONS),
                           st.integers(0, 30), st.integers(0, 30), items), max_size=40)


def _snapshot(index: ViewIndex) -> tuple:
    responses = {parent: list(tree.items()) for parent, tree in index.responses.items()}
    restricted = {readers: list(tree.items()) for readers, tree in index.restricted.items()}
    resorted = {name: (list(resorting.keys.items()),
                       {readers: list(tree.items()) for readers, tree in resorting.restricted.items()})
                for name, resorting in index.resorted.items()}
    return list(index.entries.items()), responses, restricted, resorted


def _worker_step(database, action: str, first: int) -> None:
    """What the server's worker may do between two saves."""
    if action == "follow":
        catalog.catalog_of(database).summaries.follow(database)
        return
    if action == "apply":
        journal.apply(catalog.catalog_of(database), limit=first % 3 + 1)
        return
    if action == "read":  # a read catches one view up, in a transaction that is kept here
        catalog.serving(database, sorted(DESIGN["views"])[first % len(DESIGN["views"])])
        return
    name = sorted(DESIGN["views"])[first % len(DESIGN["views"])]
    if name in catalog.catalog_of(database).builds:
        catalog.build_step(database, name, batch=first % 4 + 1)
    else:
        catalog.schedule_build(database, name)


def _apply(writer: Writer, database, step, unids: list[str]) -> None:
    action, first, second, values = step
    values = {k: v for k, v in values.items() if v != []}
    if action in ("follow", "build", "apply", "read"):
        _worker_step(database, action, first)
        return
    if action == "create" or not unids:
        parent = unids[second % len(unids)] if unids and second % 3 == 0 else None
        if parent is not None and database.documents[parent].deleted:
            parent = None
        unids.append(writer.create(database, values, parent).unid)
        return
    document = database.documents[unids[first % len(unids)]]
    if action == "restore":
        if document.deleted:
            writer.restore(database, document)
        return
    if document.deleted:
        return
    if action == "delete":
        writer.delete(database, document, document.winner)
    elif action == "update":
        writer.update(database, document, values, document.winner)
    else:  # move under another live parent, or to the top
        parent = database.documents[unids[second % len(unids)]]
        target = parent.unid if not parent.deleted and parent.unid != document.unid else None
        if target is not None and parent.current().parent_unid == document.unid:
            target = None
        writer.update(database, document, dict(document.current().items), document.winner, target)


@contextlib.contextmanager
def memos_database() -> Iterator[tuple]:
    """A fresh in-memory server with the memos database: ``(database, writer)`` in one transaction."""
    zodb = open_db("memory://")
    pm = make_plugin_manager(load_entry_points=False)
    try:
        with connection_scope(zodb) as (tm, connection), tm:
            root = server_root(connection)
            database = install_database(root, pm, Database("memos", {"ru": "Записки"}, "memos", DESIGN))
            yield database, Writer(pm, "test", tm)
    finally:
        zodb.close()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(steps)
def test_incremental_indexes_equal_a_fresh_build(sequence):
    with memos_database() as (database, writer):
        unids = []
        for step in sequence:
            _apply(writer, database, step, unids)
        views = catalog.catalog_of(database)
        for name in list(views.builds.keys()):
            while not catalog.build_step(database, name, batch=3):
                writer.create(database, {"Form": "Memo", "Dept": "ЖКХ", "Subject": "в ходе сборки"})
        for name, view in catalog.definitions(database).items():
            fresh = ViewIndex(DESIGN["views"][name])
            for document in database.documents.values():
                fresh.add(view, state_of(document))
            if name == "ByTag":  # one view as the worker leaves it, the others as a read finds them
                journal.apply(views)
            view, index = catalog.serving(database, name)
            assert _snapshot(index) == _snapshot(fresh), name
            # A caller who may not see ivanova's rows: counts and pages agree with a plain scan.
            outsider = ViewReader(view, index, lambda readers: readers is None)
            page = outsider.read(Query(count=1000, expand=True))
            visible = [row for _, row in index.entries.items() if row[2] is None]
            assert page["total"] == len(visible), name
            assert [r["@unid"] for r in page["rows"] if "@unid" in r and "." not in r["@position"]] \
                == [row[0] for row in visible], name
            for column in view.resorted:  # click-to-sort: the visible rows, ordered by the column
                entries = [(key, row) for key, row in index.entries.items() if row[2] is None]
                ordered = [row[0] for _, row in sorted(
                    entries, key=lambda entry: (column_key(entry[1][1][column], "ascending"), entry[0]))]
                for descending in (False, True):
                    resorted = outsider.read(Query(count=1000, resort=view.columns[column].name,
                                                   descending=descending))
                    assert resorted["total"] == len(ordered), name
                    assert [r["@unid"] for r in resorted["rows"] if "." not in r["@position"]] == (
                        ordered[::-1] if descending else ordered), name
            if view.categories and index.totals is not None:  # totals from the branch sums
                expected: dict = {}
                for row in visible:
                    sums = expected.setdefault(row[1][0], [0] * index.totals.width)
                    for n, column in enumerate(index.totals.columns):
                        sums[n] += number_sum(row[1][column])
                collapsed = outsider.read(Query(count=1000))["rows"]
                assert {r["@category"]: [r[view.columns[c].name] for c in index.totals.columns]
                        for r in collapsed} == expected, name


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    """Chunks of 4 changes: the builds of a short sequence read both the log and documents."""
    monkeypatch.setattr(summaries, "CHUNK", 4)


def test_a_save_behind_a_running_build_takes_its_old_rows_out_of_the_new_index():
    with memos_database() as (database, writer):
        memos = [writer.create(database, {"Form": "Memo", "Dept": dept, "Subject": dept})
                 for dept in ("ЖКХ", "Финансы", "Образование")]
        catalog.schedule_build(database, "ByDept")
        assert not catalog.build_step(database, "ByDept", batch=2)  # past the first two memos
        first = database.documents[memos[0].unid]
        writer.update(database, first, {"Form": "Memo", "Dept": "Финансы", "Subject": "moved"},
                      first.winner)
        assert catalog.build_step(database, "ByDept")
        rows = [row[1] for _, row in catalog.serving(database, "ByDept")[1].entries.items()]
        assert sorted(row[0] for row in rows) == ["Образование", "Финансы", "Финансы"]
        assert sorted(row[2] for row in rows) == ["moved", "Образование", "Финансы"]


def _serials(tree) -> dict[str, object]:
    """The ZODB serial of every node and counts object of a counted tree, by path."""
    found, pending = {}, [("root", tree.root)]
    while pending:
        path, node = pending.pop()
        found[path] = node._p_serial
        if hasattr(node, "children"):
            found[f"{path}/counts"] = node.counts._p_serial
            pending.extend((f"{path}/{n}", child) for n, child in enumerate(node.children))
    return found


def test_an_edit_rewrites_only_the_rows_it_changes():
    zodb = open_db("memory://")
    pm = make_plugin_manager(load_entry_points=False)
    try:
        with connection_scope(zodb) as (tm, connection):
            tm.begin()
            root = server_root(connection)
            database = install_database(root, pm, Database("memos", {"ru": "Записки"}, "memos", DESIGN))
            writer = Writer(pm, "test", tm)
            memos = [writer.create(database, {"Form": "Memo", "Dept": "ЖКХ", "Subject": f"Записка {n:02}"})
                     for n in range(80)]
            tm.commit()
            index = catalog.catalog_of(database).indexes["ByDept"]

            def worker_round() -> None:
                tm.begin()
                journal.apply(catalog.catalog_of(database))
                tm.commit()

            worker_round()
            before = _serials(index.entries)
            assert any(path.endswith("counts") for path in before)  # a tree with branches

            def edit(**items) -> dict[str, bool]:
                tm.begin()
                document = database.documents[memos[40].unid]
                writer.update(database, document, {**document.current().items, **items}, document.winner)
                tm.commit()
                assert _serials(index.entries) == before  # the save wrote its journal entry only
                worker_round()
                after = _serials(index.entries)
                return {path: after[path] != serial for path, serial in before.items()}

            assert not any(edit(Body="текст, которого нет ни в одном виде").values())
            changed = edit(Subject="Записка, переименованная")
            assert sum(changed.values()) == 1 and not any(v for p, v in changed.items() if "counts" in p)
            resorted = [row for row in ViewReader(catalog.definitions(database)["ByDept"], index,
                                                  lambda readers: True).read(
                Query(count=100, resort="Subject"))["rows"]]
            assert resorted[-1]["Subject"] == "Записка, переименованная"
            assert ViewReader(catalog.definitions(database)["ByDept"], index, lambda readers: True).read(
                Query(count=100, expand=True))["total"] == 80
    finally:
        zodb.close()
