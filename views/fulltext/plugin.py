"""Full-text search as a plugin: the indexer follows the changes feeds, the route answers searches.

Registered like any third-party plugin (``core.plugins.BUILTIN_PLUGINS``):
the kernel knows nothing of Whoosh.  Each server process keeps its indexes
in ``domus.fulltext_dir`` (default: ``fulltext`` in the data folder); a helper
process of the worker's writes them (``domus.fulltext_process``).
"""
from __future__ import annotations

from core.plugins import hookimpl
from views.fulltext.consumer import FullTextIndexer
from views.fulltext.helper import IndexHelper
from views.fulltext.index import fulltext_dir, store_at


@hookimpl
def register_changes_consumers(settings):
    helper = IndexHelper(settings["domus.fulltext_nice"]) if settings["domus.fulltext_process"] else None
    return [FullTextIndexer(store_at(fulltext_dir(settings)), helper)]


@hookimpl
def register_routes(config):
    config.registry.fulltext = store_at(fulltext_dir(config.registry.settings))
    config.include("views.fulltext.api")


@hookimpl
def register_commands(subparsers):
    from views.fulltext.commands import register

    register(subparsers)
