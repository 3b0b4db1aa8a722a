"""The view engine as a plugin: indexes follow every save, builds run in the worker, routes.

Registered like any third-party plugin (``core.plugins.BUILTIN_PLUGINS``):
the kernel knows nothing of views.
"""
from __future__ import annotations

import time
from datetime import UTC, datetime

from zope.interface import implementer

from core.interfaces import IScheduledTask
from core.plugins import hookimpl
from views import catalog


@hookimpl
def database_created(database):
    catalog.start_empty(database)


@hookimpl
def after_save(database, document, revision, principal):
    """Inside the save's transaction: a view is never behind its documents."""
    catalog.update_document(database, document)


@implementer(IScheduledTask)
class BuildViews:
    """Build pending view indexes a batch at a time; the old index serves meanwhile."""

    name = "build-views"
    interval_seconds = 1
    round_seconds = 0.5  # a round is one transaction: keep it short so saves are not held up

    def run(self, root, now: float) -> None:
        deadline = time.monotonic() + self.round_seconds
        for database in root.databases.values():
            for name in list(catalog.catalog_of(database).builds.keys()):
                while not catalog.build_step(database, name, batch=500):
                    if time.monotonic() > deadline:
                        return


@implementer(IScheduledTask)
class SummariseChanges:
    """Keep each database's summary log (``views.summaries``) a chunk behind its feed."""

    name = "summarise-changes"
    interval_seconds = 2
    round_seconds = 0.5

    def run(self, root, now: float) -> None:
        deadline = time.monotonic() + self.round_seconds
        for database in root.databases.values():
            while catalog.catalog_of(database).summaries.follow(database):
                if time.monotonic() > deadline:
                    return


@implementer(IScheduledTask)
class RefreshTimeViews:
    """Views whose formulas use @Today or @Now are rebuilt every minute, so they follow the clock."""

    name = "refresh-time-views"
    interval_seconds = 60

    def run(self, root, now: float) -> None:
        for database in root.databases.values():
            builds = catalog.catalog_of(database).builds
            for name, view in catalog.definitions(database).items():
                if view.uses_time and name not in builds:
                    catalog.schedule_build(database, name, datetime.fromtimestamp(now, UTC))


@hookimpl
def register_scheduled_tasks(settings):
    return [SummariseChanges(), BuildViews(), RefreshTimeViews()]


@hookimpl
def register_routes(config):
    config.include("views.api")


@hookimpl
def register_commands(subparsers):
    from views.commands import register

    register(subparsers)
