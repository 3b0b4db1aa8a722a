"""The replication plugin: the endpoint, the history route, the ``replicate`` command, connections."""
from __future__ import annotations

from core.plugins import hookimpl
from replication.connections import after_save, register_scheduled_tasks

__all__ = ["after_save", "register_commands", "register_routes", "register_scheduled_tasks"]


@hookimpl
def register_routes(config) -> None:
    config.include("replication.endpoint")
    config.include("replication.history")


@hookimpl
def register_commands(subparsers) -> None:
    from replication.command import add_command

    add_command(subparsers)
