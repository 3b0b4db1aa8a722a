"""The web UI as a built-in plugin: it adds its routes like any third-party plugin would."""
from __future__ import annotations

from core.plugins import hookimpl


@hookimpl
def register_routes(config):
    config.include("plugins.webui")
