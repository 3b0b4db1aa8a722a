"""The ``domus`` command: init, serve, user add, server add, export, import, check, plugins.

Global options choose the settings: ``--config INI`` reads ``[app:main]`` of
an ini file, ``--var DIR`` puts the data folder elsewhere, so several servers
can run side by side from one checkout.  Plugins add subcommands through the
``register_commands`` hook.
"""
from __future__ import annotations

import argparse
import getpass
import logging
import os
import secrets
import signal
import sys
from pathlib import Path

from tqdm import tqdm

from core.exceptions import ConfigurationError, DomusError
from core.plugins import describe_plugins, make_plugin_manager
from core.settings import parse_settings


class Environment:
    """What a command needs: settings, the plugin manager, the storage on demand."""

    def __init__(self, args: argparse.Namespace, pm) -> None:
        raw: dict[str, object] = {}
        if args.config:
            from pyramid.paster import get_appsettings, setup_logging

            setup_logging(args.config)
            raw.update(get_appsettings(args.config))
        else:
            logging.basicConfig(level=logging.INFO,
                                format="%(asctime)s %(levelname)-5.5s [%(name)s] %(message)s")
            # Writers waiting for a group commit fill waitress's queue by design.
            logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        if args.var:
            raw["domus.var_dir"] = args.var
            raw.pop("zodbconn.uri", None)
        if args.storage:
            raw["zodbconn.uri"] = args.storage
        self.settings = parse_settings(raw)
        self.pm = pm
        self._db = None

    def open_db(self):
        if self._db is None:
            from core.storage import open_db

            self._db = open_db(self.settings["zodbconn.uri"])
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def templates(self) -> dict:
        from core.templates import load_templates

        return load_templates(self.pm)


def _bar(total: int | None, what: str) -> tqdm:
    return tqdm(total=total, unit=" docs", desc=what, file=sys.stderr, disable=None)


def cmd_init(args, env: Environment) -> int:
    from core.initialise import initialise, load_samples

    created, generated = initialise(
        env.open_db(), env.pm, env.templates(), os.environ.get("DOMUS_ADMIN_PASSWORD")
    )
    print(f"databases created: {', '.join(created) or 'none (all present)'}")
    if generated:
        print(f"administrator 'admin' created with password: {generated}")
        print("(shown once; set DOMUS_ADMIN_PASSWORD before 'domus init' to choose it)")
    if args.demo and "documents" in created:
        with _bar(None, "sample documents") as bar:
            count = load_samples(env.open_db(), env.pm, bar.update)
        from databases.samples import DEMO_PASSWORD, PEOPLE

        print(f"sample documents loaded: {count}")
        print(f"demo users ({', '.join(p[0] for p in PEOPLE[:3])}, …) log in with {DEMO_PASSWORD}")
    return 0


def cmd_serve(args, env: Environment) -> int:
    from waitress import serve

    from core import make_app, shutdown

    env.settings["domus.worker"] = not args.no_worker
    app = make_app(env.settings, zodb=env.open_db())
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"Domus serving on http://{args.host}:{args.port}", flush=True)
    # Each waiting slot (core.waiting) has a thread of its own: longpolls never take these.
    threads = args.threads + env.settings["domus.max_waiting_requests"]
    try:
        serve(app, host=args.host, port=args.port, threads=threads, ident="Domus",
              connection_limit=1000, channel_timeout=120, backlog=1024)
    finally:
        shutdown(app.registry)
    return 0


def cmd_user_add(args, env: Environment) -> int:
    from core.initialise import add_user

    password = os.environ.get("DOMUS_USER_PASSWORD")
    if password is None:
        password = getpass.getpass(f"password for {args.name}: ")
    unid = add_user(env.open_db(), env.pm, args.name, password, args.full_name or "")
    print(f"user {args.name} saved as Person {unid}")
    return 0


def cmd_server_add(args, env: Environment) -> int:
    """A peer server's identity: the credential is generated and shown once."""
    from core.initialise import add_server

    credential = os.environ.get("DOMUS_SERVER_PASSWORD") or secrets.token_urlsafe(24)
    unid = add_server(env.open_db(), env.pm, args.name, credential, args.title or "")
    print(f"server {args.name} saved as Server {unid} and added to LocalDomainServers")
    if "DOMUS_SERVER_PASSWORD" not in os.environ:
        print(f"its credential (shown once; the peer replicates with it): {credential}")
    return 0


def cmd_export(args, env: Environment) -> int:
    from core.transfer import export_database

    with _bar(None, f"export {args.database}") as bar:
        count = export_database(env.open_db(), args.database, Path(args.path), bar.update)
    print(f"exported {count} documents of {args.database} to {args.path}")
    return 0


def cmd_import(args, env: Environment) -> int:
    from core.transfer import count_documents, import_database

    path = Path(args.path)
    with _bar(count_documents(path), f"import {path.name}") as bar:
        name, count = import_database(env.open_db(), env.pm, path, args.name, bar.update)
    print(f"imported {count} documents into {name}")
    return 0


def cmd_check(args, env: Environment) -> int:
    from core.check import check_storage

    repair = {"pm": env.pm, "quarantine_dir": Path(env.settings["domus.var_dir"]) / "quarantine"}
    problems = check_storage(env.open_db(), lambda line: print(line), **(repair if args.repair else {}))
    for problem in problems:
        print(f"PROBLEM: {problem}")
    print("ok" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


def cmd_plugins(args, env: Environment) -> int:
    for row in describe_plugins(env.pm):
        kind = "built-in" if row["builtin"] else (row["version"] or "")
        print(f"{row['name']:<40} {kind:<10} {', '.join(row['hooks'])}")
    return 0


def build_parser(pm) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="domus", description="Domus document server")
    parser.add_argument("--config", help="ini file whose [app:main] holds the settings")
    parser.add_argument("--var", help="data folder (storage, blobs, indexes); default ./var")
    parser.add_argument("--storage", metavar="URI",
                        help="storage URI, e.g. zeo://127.0.0.1:8100?blob_dir=DIR (overrides the ini)")
    sub = parser.add_subparsers(dest="command", required=True)

    init = sub.add_parser("init", help="create the databases and the administrator")
    init.add_argument("--demo", action="store_true", help="also load a few hundred sample documents")
    init.set_defaults(func=cmd_init)

    serve = sub.add_parser("serve", help="serve HTTP with waitress")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=6543)
    serve.add_argument("--threads", type=int, default=8,
                       help="threads for ordinary requests; domus.max_waiting_requests more are "
                            "added for longpoll requests, which hold one while they wait")
    serve.add_argument("--no-worker", action="store_true", help="do not run the background worker")
    serve.set_defaults(func=cmd_serve)

    user = sub.add_parser("user", help="manage users").add_subparsers(dest="action", required=True)
    add = user.add_parser("add", help="add a user (password from DOMUS_USER_PASSWORD or a prompt)")
    add.add_argument("name")
    add.add_argument("--full-name")
    add.set_defaults(func=cmd_user_add)

    server = sub.add_parser("server", help="manage peer servers").add_subparsers(
        dest="action", required=True)
    add_peer = server.add_parser(
        "add", help="add a server that replicates with this one (credential from "
                    "DOMUS_SERVER_PASSWORD or generated)")
    add_peer.add_argument("name")
    add_peer.add_argument("--title")
    add_peer.set_defaults(func=cmd_server_add)

    export = sub.add_parser("export", help="write a database to a file")
    export.add_argument("database")
    export.add_argument("path")
    export.set_defaults(func=cmd_export)

    imp = sub.add_parser("import", help="create a database from an export file")
    imp.add_argument("path")
    imp.add_argument("--name", help="import under another database name")
    imp.set_defaults(func=cmd_import)

    check = sub.add_parser("check", help="check the storage's consistency")
    check.add_argument("--repair", action="store_true",
                       help="mend text that is not valid Unicode (see docs/operations.md)")
    check.set_defaults(func=cmd_check)
    sub.add_parser("plugins", help="list loaded plugins").set_defaults(func=cmd_plugins)
    pm.hook.register_commands(subparsers=sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    pm = make_plugin_manager()
    args = build_parser(pm).parse_args(argv)
    try:
        env = Environment(args, pm)
    except ConfigurationError as error:
        print(f"domus: configuration error: {error}", file=sys.stderr)
        return 2
    try:
        return args.func(args, env)
    except DomusError as error:
        print(f"domus: {error.message}", file=sys.stderr)
        return 1
    finally:
        env.close()


if __name__ == "__main__":
    sys.exit(main())
