"""Computing a document with its form: defaults, computed items, types, choices, validation.

As Domino's ``ComputeWithForm``: the form's rules run when the writer asks for
them — the web UI always does, API clients with ``?computeWithForm=true`` —
so integrations and replication can still store any schemaless document.
An item declares its ``type`` (text, richtext, number, date, datetime, names,
readers, authors, keywords, attachments), whether it is ``required`` and
``multiple``, a ``default`` formula (used when the item is missing), a
``computed`` formula (recomputed on every save), a ``validation`` formula
(must be true) and, for keywords, its ``choices``.  Every problem is reported
at once, by item, so a form can show each beside its field.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import date, datetime

from core.plugins import hookimpl
from views.formula import Environment, EvaluationError, compile_formula

log = logging.getLogger(__name__)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")
_NAME_TYPES = {"names", "readers", "authors"}


def _as_item(values: list) -> object:
    """A formula's result stored as an item: one value bare, several as a list, dates as ISO text."""
    shown = [v.isoformat() if isinstance(v, datetime | date) else v for v in values]
    return shown[0] if len(shown) == 1 else shown


def _label(item: Mapping) -> str:
    label = item.get("label")
    if isinstance(label, Mapping):
        return str(label.get("ru") or label.get("en") or item["name"])
    return str(label or item["name"])


def _empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value == [""]


def _type_problem(item: Mapping, value: object) -> str | None:
    kind = item.get("type", "text")
    values = value if isinstance(value, list) else [value]
    if isinstance(value, list) and not item.get("multiple") and len(value) > 1:
        return "takes one value"
    for one in values:
        if kind == "number" and (isinstance(one, bool) or not isinstance(one, int | float)):
            return "must be a number"
        if kind == "date" and not (isinstance(one, str) and _DATE.match(one)):
            return "must be a date like 2026-11-25"
        if kind == "datetime" and not (isinstance(one, str) and _DATETIME.match(one)):
            return "must be a date and time like 2026-11-25T10:30:00Z"
        if kind in _NAME_TYPES | {"text", "richtext", "keywords"} and not isinstance(one, str):
            return "must be text"
        if kind == "keywords" and item.get("choices") and one not in item["choices"]:
            return f"must be one of: {', '.join(item['choices'])}"
    return None


def compute(design: Mapping, items: dict, environment: Environment) -> list[dict[str, str]]:
    """Apply the form of ``items`` to them in place; return the problems found."""
    form = design.get("forms", {}).get(items.get("Form"))
    if form is None:
        return []
    declared = form.get("items", [])
    problems, failed = [], set()
    for item in declared:
        rule = item.get("computed") or (item.get("default") if item["name"] not in items else None)
        if rule:
            environment.items = items
            try:
                items[item["name"]] = _as_item(compile_formula(rule).evaluate(environment))
            except EvaluationError as error:
                problems.append({"item": item["name"], "message": f"{_label(item)}: {error}"})
                failed.add(item["name"])
    for item in declared:
        name, value = item["name"], items.get(item["name"])
        if name in failed:
            continue
        if _empty(value):
            if item.get("required"):
                problems.append({"item": name, "message": f"{_label(item)}: required"})
            continue
        wrong = _type_problem(item, value)
        if wrong:
            problems.append({"item": name, "message": f"{_label(item)}: {wrong}"})
            continue
        if item.get("validation"):
            environment.items = items
            try:
                valid = compile_formula(item["validation"]).test(environment)
            except EvaluationError:
                valid = False
            if not valid:
                problems.append({"item": name, "message": f"{_label(item)}: not valid"})
    return problems


@hookimpl
def compute_with_form(database, document, items, previous, principal):
    environment = Environment(
        items=items, unid=document.unid, parent_unid=previous.parent_unid if previous else None,
        created=document.created, user_name=principal,
    )
    return compute(database.design, items, environment)
