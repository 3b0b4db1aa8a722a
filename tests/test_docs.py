"""The docs stay in step with the code: hooks, settings, commands, routes, README."""
from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from pyramid.interfaces import IRoutesMapper

from core import hookspecs, make_app, shutdown
from core.cli import build_parser
from core.plugins import make_plugin_manager
from core.settings import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _text(name: str) -> str:
    return (DOCS / name).read_text("utf-8")


def _hookspecs():
    return [getattr(hookspecs, name) for name in dir(hookspecs)
            if hasattr(getattr(hookspecs, name), "domus_spec")]


@pytest.mark.parametrize("spec", _hookspecs(), ids=lambda spec: spec.__name__)
def test_every_hook_is_documented_with_its_signature(spec):
    parameters = ", ".join(inspect.signature(spec).parameters)
    assert f"{spec.__name__}({parameters})" in _text("plugins.md")


@pytest.mark.parametrize("spec", _hookspecs(), ids=lambda spec: spec.__name__)
def test_every_hook_has_a_docstring_saying_when_it_runs(spec):
    assert "Called" in (spec.__doc__ or "")


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda setting: setting.name)
def test_every_setting_is_in_the_operations_table(setting):
    assert f"| `{setting.name}` | {setting.default or 'empty'} |" in _text("operations.md")


def test_every_cli_command_is_documented():
    parser = build_parser(make_plugin_manager(load_entry_points=False))
    commands = next(a for a in parser._actions if a.dest == "command").choices
    text = _text("operations.md")
    for name in commands:
        assert f"`{name}" in text, name


def test_every_route_is_in_the_api_reference():
    app = make_app({"zodbconn.uri": "memory://"}, load_entry_points=False)
    try:
        patterns = [route.pattern for route in app.registry.getUtility(IRoutesMapper).get_routes()]
    finally:
        shutdown(app.registry)
    text = _text("api.md")
    for pattern in patterns:
        assert re.sub(r"\{(\w+):[^}]+\}", r"{\1}", pattern) in text, pattern


def test_readme_starts_with_the_two_commands():
    readme = (ROOT / "README.md").read_text("utf-8")
    first_block = readme.split("```")[1]
    assert "make run" in first_block and "make test" in first_block
    head = "\n".join(readme.splitlines()[:40])
    assert "make run" in head and "make test" in head


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
