"""A plugin that implements every hook, proving each one is called as documented."""
from __future__ import annotations

import time

import pytest
from zope.interface import implementer

from core import hookspecs, make_app
from core.exceptions import ConfigurationError
from core.interfaces import IChangesConsumer, IScheduledTask
from core.plugins import hookimpl, make_plugin_manager
from core.settings import parse_settings
from core.storage import open_db
from core.worker import Worker, checkpoints
from tests.conftest import DOCS


@implementer(IChangesConsumer)
class Consumer:
    name = "test-consumer"
    batch_size = 2

    def __init__(self, seen: list) -> None:
        self.seen = seen

    def wants(self, database):
        return database.name == "documents"

    def process(self, database, changes):
        self.seen.extend(change.unid for change in changes)


@implementer(IScheduledTask)
class Task:
    name = "test-task"
    interval_seconds = 60

    def __init__(self, runs: list) -> None:
        self.runs = runs

    def run(self, root, now):
        self.runs.append(now)


class EveryHook:
    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.consumed: list[str] = []
        self.task_runs: list[float] = []

    @hookimpl
    def register_templates(self):
        return [{"name": "testtemplate", "title": {"en": "Test"}, "forms": {}, "views": {}}]

    @hookimpl
    def database_created(self, database):
        self.calls.append(("database_created", database.name, len(database.documents)))

    @hookimpl
    def register_routes(self, config):
        config.add_route("hello", "/api/hello")
        config.add_view(lambda request: {"hello": "мир"}, route_name="hello", renderer="json")

    @hookimpl
    def register_commands(self, subparsers):
        subparsers.add_parser("hello").set_defaults(func=lambda args, env: 0)

    @hookimpl
    def validate_document(self, database, document, items, previous, principal):
        if items.get("Subject") == "forbidden":
            return [{"item": "Subject", "message": "this subject is forbidden"}]
        return []

    @hookimpl
    def compute_with_form(self, database, document, items, previous, principal):
        items.setdefault("Computed", "by the form")
        return []

    @hookimpl
    def before_save(self, database, document, items, previous, principal):
        items["ItemCount"] = len(items)
        self.calls.append(("before_save", document.unid, previous is None))

    @hookimpl
    def after_save(self, database, document, revision, principal):
        self.calls.append(("after_save", document.unid, revision.rev, principal))

    @hookimpl
    def after_commit(self, database_name, changes):
        self.calls.append(("after_commit", database_name, [c.unid for c in changes]))

    @hookimpl
    def register_changes_consumers(self, settings):
        return [Consumer(self.consumed)]

    @hookimpl
    def register_scheduled_tasks(self, settings):
        return [Task(self.task_runs)]


@pytest.fixture
def plugin():
    return EveryHook()


@pytest.fixture
def extra_plugins(plugin):
    return (plugin,)


def test_every_hookspec_is_implemented_by_the_test_plugin():
    specs = {name for name in dir(hookspecs) if hasattr(getattr(hookspecs, name), "domus_spec")}
    implemented = {name for name in dir(EveryHook) if hasattr(getattr(EveryHook, name), "domus_impl")}
    assert specs == implemented


def test_hook_register_templates_makes_a_template_usable(api):
    answer = api.post_json("/api/databases", {"name": "t1", "template": "testtemplate"}, status=201).json
    assert answer["template"] == "testtemplate"


def test_hook_database_created_runs_once_before_any_document(api, plugin):
    api.post_json("/api/databases", {"name": "t2", "template": "documents"}, status=201)
    made = [c for c in plugin.calls if c[0] == "database_created"]
    assert made[-1] == ("database_created", "t2", 0)
    assert [c[1] for c in made].count("t2") == 1


def test_hook_register_templates_duplicate_name_stops_start_up(zodb):
    class Duplicate:
        @hookimpl
        def register_templates(self):
            return [{"name": "documents"}]

    with pytest.raises(ConfigurationError, match="two database templates"):
        make_app({"zodbconn.uri": "memory://"}, (Duplicate(),), zodb=zodb, load_entry_points=False)


def test_hook_register_routes_adds_a_view(api):
    assert api.get("/api/hello").json == {"hello": "мир"}


def test_hook_register_commands_adds_a_subcommand(plugin):
    from core.cli import build_parser

    args = build_parser(make_plugin_manager((plugin,), load_entry_points=False)).parse_args(["hello"])
    assert args.func(args, None) == 0


def test_hook_validate_document_refuses_with_422_and_saves_nothing(api):
    answer = api.post_json(DOCS, {"Subject": "forbidden"}, status=422).json
    assert answer["error"] == "validation_failed"
    assert answer["errors"] == [{"item": "Subject", "message": "this subject is forbidden"}]
    assert api.get("/api/databases/documents").json["documents"] == 0


def test_hook_before_save_may_add_items(api, plugin):
    created = api.post_json(DOCS, {"Subject": "a", "Form": "Memo"}).json
    assert api.get(f"{DOCS}/{created['@unid']}").json["ItemCount"] == 2
    assert ("before_save", created["@unid"], True) in plugin.calls


def test_hook_after_save_runs_for_each_revision_including_deletion(api, plugin):
    created = api.post_json(DOCS, {"Subject": "a"}).json
    stub = api.delete(f"{DOCS}/{created['@unid']}", headers={"If-Match": created["@rev"]}).json
    saved = [call for call in plugin.calls if call[0] == "after_save" and call[1] == created["@unid"]]
    assert [call[2] for call in saved] == [created["@rev"], stub["@rev"]]
    assert saved[0][3] == "admin"


def test_hook_after_commit_once_per_transaction_with_all_changes(api, plugin):
    rows = api.post_json(DOCS, [{"N": 1}, {"N": 2}]).json
    commits = [call for call in plugin.calls if call[0] == "after_commit"]
    assert commits[-1] == ("after_commit", "documents", [row["@unid"] for row in rows])


def test_hook_after_commit_not_called_when_the_write_fails(api, plugin):
    before = len(plugin.calls)
    api.post_json(DOCS, [{"N": 1}, {"Subject": "forbidden"}], status=422)
    assert not [c for c in plugin.calls[before:] if c[0] == "after_commit"]


def test_hook_register_changes_consumers_gets_every_change_once(app, api, plugin):
    worker = Worker(app.registry.zodb, app.registry.pm, app.registry.settings)
    unids = [row["@unid"] for row in api.post_json(DOCS, [{"N": n} for n in range(5)]).json]
    while worker.run_once(now=0):
        pass
    assert plugin.consumed == unids
    more = api.post_json(DOCS, {"N": 9}).json["@unid"]
    while worker.run_once(now=0):
        pass
    assert plugin.consumed == [*unids, more]
    worker.stop()


def test_hook_register_changes_consumers_checkpoint_survives_a_restart(app, api, plugin):
    api.post_json(DOCS, [{"N": n} for n in range(3)])
    first = Worker(app.registry.zodb, app.registry.pm, app.registry.settings)
    while first.run_once(now=0):
        pass
    first.stop()
    consumed = list(plugin.consumed)
    second = Worker(app.registry.zodb, app.registry.pm, app.registry.settings)
    second.run_once(now=0)
    second.stop()
    assert plugin.consumed == consumed


def test_hook_register_changes_consumers_failed_batch_is_retried(app, api, plugin):
    unid = api.post_json(DOCS, {"N": 1}).json["@unid"]
    worker = Worker(app.registry.zodb, app.registry.pm, app.registry.settings)
    consumer = worker.consumers[0]
    original = consumer.process
    consumer.process = lambda database, changes: 1 / 0
    worker.run_once(now=0)
    assert plugin.consumed == []
    consumer.process = original
    worker.run_once(now=0)
    assert plugin.consumed == [unid]
    worker.stop()


def test_hook_register_scheduled_tasks_runs_when_due(app, plugin):
    worker = Worker(app.registry.zodb, app.registry.pm, app.registry.settings)
    worker.run_once(now=1000)
    worker.run_once(now=1030)
    worker.run_once(now=1061)
    assert plugin.task_runs == [1000, 1061]
    worker.stop()


def test_worker_thread_consumes_soon_after_a_commit_and_stops_cleanly(app, api, plugin):
    from core import start_worker

    worker = start_worker(app.registry)
    try:
        unid = api.post_json(DOCS, {"N": 1}).json["@unid"]
        deadline = time.monotonic() + 5
        while unid not in plugin.consumed and time.monotonic() < deadline:
            time.sleep(0.02)
        assert unid in plugin.consumed
    finally:
        worker.stop()
    assert worker._thread is None


def test_checkpoint_is_stored_in_the_database(app, api, plugin):
    api.post_json(DOCS, {"N": 1})
    worker = Worker(app.registry.zodb, app.registry.pm, app.registry.settings)
    worker.run_once(now=0)
    worker.stop()
    connection = app.registry.zodb.open()
    try:
        from core.root import server_root

        database = server_root(connection).get_database("documents")
        assert checkpoints(database)["test-consumer"] == database.last_seq()
    finally:
        connection.close()


def test_plugins_endpoint_lists_builtins_and_the_test_plugin(api):
    rows = {row["name"]: row for row in api.get("/api/plugins").json["plugins"]}
    assert rows["core.identity"]["builtin"] is True
    assert rows["views.plugin"]["builtin"] is True  # shipped with Domus, though outside core
    ours = [row for row in rows.values() if "register_routes" in row["hooks"]]
    assert ours and ours[0]["builtin"] is False


def test_an_implementation_without_a_spec_fails_loudly():
    class Typo:
        @hookimpl
        def befor_save(self):
            pass

    with pytest.raises(Exception, match="befor_save"):
        make_plugin_manager((Typo(),), load_entry_points=False)


def test_worker_settings_come_from_the_settings_table():
    db = open_db("memory://")
    worker = Worker(db, make_plugin_manager(load_entry_points=False),
                    parse_settings({"domus.worker_poll_seconds": "0.25"}))
    assert worker.poll_seconds == 0.25
    db.close()


def test_hook_compute_with_form_runs_only_when_asked(api):
    plain = api.post_json(DOCS, {"Subject": "без формы"}).json
    assert "Computed" not in api.get(f"{DOCS}/{plain['@unid']}").json
    with_form = api.post_json(f"{DOCS}?computeWithForm=true", {"Subject": "с формой"}).json
    assert api.get(f"{DOCS}/{with_form['@unid']}").json["Computed"] == "by the form"
