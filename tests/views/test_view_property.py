"""Incremental view indexes equal indexes built from scratch, after any sequence of changes.

Hypothesis writes random documents (creates, updates, deletions, restores and
response documents moved between parents) through the real Writer; after
each sequence every view's index — rows, response trees, the row locator and
the rows per set of Readers — must be exactly what a fresh build over the same
documents gives.
"""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.database import Database
from core.plugins import make_plugin_manager
from core.root import server_root
from core.storage import connection_scope, open_db
from core.templates import install_database
from core.writes import Writer
from views import catalog
from views.index import ViewIndex
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
            {"name": "Subject", "value": "Subject"}]},
        "ByTag": {"selection": '@Elements(Tags) > 0', "columns": [
            {"name": "Tags", "value": "Tags", "sort": "ascending", "multiple": True},
            {"name": "Subject", "value": "Subject"}]},
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
steps = st.lists(st.tuples(st.sampled_from(["create", "update", "delete", "restore", "move"]),
                           st.integers(0, 30), st.integers(0, 30), items), max_size=40)


def _snapshot(index: ViewIndex, placements: dict) -> tuple:
    responses = {parent: list(tree.items()) for parent, tree in index.responses.items()}
    restricted = {readers: list(tree.items()) for readers, tree in index.restricted.items()}
    return list(index.entries.items()), responses, placements, restricted


def _apply(writer: Writer, database, step, unids: list[str]) -> None:
    action, first, second, values = step
    values = {k: v for k, v in values.items() if v != []}
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


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_incremental_indexes_equal_a_fresh_build(sequence):
    zodb = open_db("memory://")
    pm = make_plugin_manager(load_entry_points=False)
    try:
        with connection_scope(zodb) as (tm, connection), tm:
            root = server_root(connection)
            database = install_database(root, pm, Database("memos", {"ru": "Записки"}, "memos", DESIGN))
            writer, unids = Writer(pm, "test", tm), []
            for step in sequence:
                _apply(writer, database, step, unids)
            views = catalog.catalog_of(database)
            for name, view in catalog.definitions(database).items():
                fresh, fresh_placements = ViewIndex({}), {}
                for document in database.documents.values():
                    placed = fresh.update(view, document)
                    if placed is not None:
                        fresh_placements[document.unid] = placed
                index = views.indexes[name]
                placements = {unid: views.placements(unid)[index.id] for unid in views.locations
                              if index.id in views.placements(unid)}
                assert _snapshot(index, placements) == _snapshot(fresh, fresh_placements), name
                # A caller who may not see ivanova's rows: counts and pages agree with a plain scan.
                outsider = ViewReader(view, index, lambda readers: readers is None)
                page = outsider.read(Query(count=1000, expand=True))
                visible = [row for _, row in index.entries.items() if row[2] is None]
                assert page["total"] == len(visible), name
                assert [r["@unid"] for r in page["rows"] if "@unid" in r and "." not in r["@position"]] \
                    == [row[0] for row in visible], name
    finally:
        zodb.close()
