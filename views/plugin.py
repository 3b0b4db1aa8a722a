"""The view engine as a plugin: indexes follow every save, builds run in the worker, routes.

Registered like any third-party plugin (``core.plugins.BUILTIN_PLUGINS``):
the kernel knows nothing of views.
"""
from __future__ import annotations

import time
from datetime import UTC, datetime

from zope.interface import implementer

from core.interfaces import IChangesConsumer, IScheduledTask
from core.plugins import hookimpl
from core.worker import resume_from
from views import catalog, journal


@hookimpl
def database_created(database):
    catalog.start_empty(database)


@hookimpl
def after_save(database, document, revision, principal):
    """Inside the save's transaction: the journal notes the save, so a view is never behind it."""
    catalog.update_document(database, document)


@implementer(IChangesConsumer)
class ApplyJournal:
    """After every commit, move the rows of the new journal entries into the indexes (``views.journal``)."""

    name = "views-journal"
    batch_size = journal.APPLY_BATCH

    def wants(self, database) -> bool:
        """True if there are entries to apply; the worker is then fed from the first of them.

        The feed keeps a document's latest change only, so its changes and the journal's
        entries do not pair up: the worker's checkpoint is set to the journal's mark instead.
        """
        mark = journal.unapplied_from(catalog.catalog_of(database))
        if mark is None:
            return False
        resume_from(database, self.name, mark)
        return True

    def process(self, database, changes) -> None:
        journal.apply(catalog.catalog_of(database), self.batch_size)


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
def register_changes_consumers(settings):
    return [ApplyJournal()]


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
