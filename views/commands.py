"""``domus views``: the state of every view, and rebuilding one with a progress bar.

A rebuild from the command line works like the worker's: the old index keeps
serving a running server until the new one is complete, and the build commits
in batches so it never holds one huge transaction.
"""
from __future__ import annotations

from tqdm import tqdm

from core.root import server_root
from core.storage import connection_scope
from views import catalog, journal


def cmd_views_status(args, env) -> int:
    with connection_scope(env.open_db()) as (tm, connection):
        tm.begin()
        database = server_root(connection).get_database(args.database)
        views_catalog = catalog.catalog_of(database)
        waiting = journal.pending(views_catalog)
        if waiting:
            print(f"{waiting} saves wait for the worker to move their rows (counted below)")
        journal.apply(views_catalog)  # in this transaction only: it is aborted
        for name in sorted(catalog.definitions(database)):
            state = catalog.state(database, name)
            index = views_catalog.indexes.get(name)
            rows = len(index.entries) if index is not None else 0
            progress = state.get("progress")
            extra = f" {progress['done']}/{progress['total']}" if progress else ""
            print(f"{name:<32} {state['state']}{extra}  {rows} rows")
        tm.abort()
    return 0


def cmd_views_rebuild(args, env) -> int:
    with connection_scope(env.open_db()) as (tm, connection):
        tm.begin()
        database = server_root(connection).get_database(args.database)
        names = [args.view] if args.view else sorted(catalog.definitions(database))
        for name in names:
            catalog.definition(database, name)  # an unknown view stops before anything starts
        tm.abort()
        for name in names:
            with tm:
                database = server_root(connection).get_database(args.database)
                catalog.schedule_build(database, name)
                total = database.document_count()
            with tqdm(total=total, desc=name, unit="doc", unit_scale=True) as bar:
                done = False
                while not done:
                    with tm:
                        database = server_root(connection).get_database(args.database)
                        done = catalog.build_step(database, name)
                        build = catalog.catalog_of(database).builds.get(name)
                    bar.update((build.done if build is not None else total) - bar.n)
    print(f"rebuilt: {', '.join(names)}")
    return 0


def register(subparsers) -> None:
    views = subparsers.add_parser("views", help="view indexes: state and rebuild").add_subparsers(
        dest="action", required=True)
    status = views.add_parser("status", help="the state and size of every view of a database")
    status.add_argument("database")
    status.set_defaults(func=cmd_views_status)
    rebuild = views.add_parser("rebuild", help="rebuild one view, or all, with a progress bar")
    rebuild.add_argument("database")
    rebuild.add_argument("view", nargs="?")
    rebuild.set_defaults(func=cmd_views_rebuild)
