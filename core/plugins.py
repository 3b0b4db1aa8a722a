"""The plugin manager: built-in plugins and the ``domus`` entry points, one way.

One manager per application, built by ``make_plugin_manager`` in ``core.main``
or the CLI, never at import time.  Built-in features register exactly as
third-party packages do, so they use no private door.
"""
from __future__ import annotations

import importlib

import pluggy

from core import hookspecs

hookimpl = pluggy.HookimplMarker("domus")

#: Modules shipped with Domus that implement hooks, in load order.
BUILTIN_PLUGINS = (
    "core.identity",
    "core.readers",
    "core.maintenance",
    "views.plugin",
    "views.forms",
    "views.fulltext.plugin",
    "replication.plugin",
    "plugins.webui.plugin",
)


def make_plugin_manager(extra: tuple[object, ...] = (), load_entry_points: bool = True):
    """Build the manager with built-ins, entry points and any ``extra`` plugin objects."""
    manager = pluggy.PluginManager("domus")
    manager.add_hookspecs(hookspecs)
    for dotted in BUILTIN_PLUGINS:
        manager.register(importlib.import_module(dotted), name=dotted)
    if load_entry_points:
        manager.load_setuptools_entrypoints("domus")
    for plugin in extra:
        manager.register(plugin)
    manager.check_pending()
    return manager


def describe_plugins(manager) -> list[dict[str, object]]:
    """What ``GET /api/plugins`` and ``domus plugins`` show."""
    rows = []
    for name, plugin in sorted(manager.list_name_plugin(), key=lambda pair: str(pair[0])):
        hooks = sorted(caller.name for caller in manager.get_hookcallers(plugin) or [])
        dist = dict(manager.list_plugin_distinfo()).get(plugin)
        rows.append(
            {
                "name": str(name),
                "hooks": hooks,
                "builtin": str(name) in BUILTIN_PLUGINS,
                "version": getattr(dist, "version", None),
            }
        )
    return rows
