"""View definitions: what a designer writes, checked before a view is built from it.

A view is a selection formula, ordered columns and whether response
documents appear under their parents:

    {"title": {"ru": "…", "en": "…"}, "selection": "Form = \\"Memo\\"",
     "columns": [{"name": "Dept", "title": "…", "value": "Dept", "sort": "ascending",
                  "categorized": true, "multiple": false, "totals": false, "resort": false}, …],
     "responses": true}

The templates in ``databases/`` say the same in TOML.  ``parse_view`` turns
either into a ``ViewDefinition`` with compiled formulas, or refuses it with
422 and the reasons: bad formulas (with their position), unknown keys,
categorised columns that are not sorted leading columns, too many columns,
column values that read items no form of the database declares.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from core.exceptions import BadRequest, ValidationFailed
from views.formula import Formula, FormulaError, compile_formula

MAX_COLUMNS = 64
# Click-to-sort columns per view: each is one more counted tree that every save keeps in step.
MAX_RESORT = 4
SORTS = ("none", "ascending", "descending")
_NAME = re.compile(r"^[A-Za-zА-Яа-яЁё_][\wА-Яа-яЁё.\\-]{0,99}$")
_VIEW_KEYS = {"title", "selection", "columns", "responses"}
_COLUMN_KEYS = {"name", "title", "value", "sort", "categorized", "multiple", "totals", "resort"}
#: Items every document has without a form declaring them.
BUILTIN_ITEMS = {"Form", "Readers", "Authors"}


@dataclass(frozen=True)
class Column:
    name: str
    title: object
    value: Formula
    sort: str = "none"
    categorized: bool = False
    multiple: bool = False
    totals: bool = False
    resort: bool = False  # "click on column header to sort" (``views.resort``)

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "title": self.title, "value": self.value.source, "sort": self.sort,
                "categorized": self.categorized, "multiple": self.multiple, "totals": self.totals,
                "resort": self.resort}


@dataclass(frozen=True)
class ViewDefinition:
    name: str
    title: object
    selection: Formula
    columns: tuple[Column, ...]
    responses: bool = False

    @cached_property
    def sorted_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.sort != "none")

    @cached_property
    def resorted(self) -> tuple[int, ...]:
        """The positions of the click-to-sort columns."""
        return tuple(i for i, c in enumerate(self.columns) if c.resort)

    def resort_column(self, name: str) -> int:
        """The position of click-to-sort column ``name``, or BadRequest naming the ones there are."""
        for i in self.resorted:
            if self.columns[i].name == name:
                return i
        offered = ", ".join(self.columns[i].name for i in self.resorted) or "none"
        raise BadRequest(f"view {self.name} cannot be sorted by {name!r}: its click-to-sort columns "
                         f"are {offered}")

    @property
    def categories(self) -> int:
        """How many leading sorted columns are categorised."""
        return sum(1 for c in self.columns if c.categorized)

    @property
    def uses_time(self) -> bool:
        return self.selection.uses_time or any(c.value.uses_time for c in self.columns)

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "title": self.title, "selection": self.selection.source,
                "columns": [c.describe() for c in self.columns], "responses": self.responses}


def check_view_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationFailed(f"view name {name!r} must be a word of letters, digits, '_', '.', '-'",
                               errors=[{"item": "name", "message": "bad view name"}])
    return name


def _formula(source: object, where: str, problems: list) -> Formula | None:
    if not isinstance(source, str):
        problems.append({"item": where, "message": f"{where} must be formula text"})
        return None
    try:
        return compile_formula(source)
    except FormulaError as error:
        problems.append({"item": where, "message": f"{where}: {error.message}", **error.details})
        return None


def _column(index: int, raw: object, problems: list) -> Column | None:
    where = f"columns[{index}]"
    if not isinstance(raw, Mapping):
        problems.append({"item": where, "message": f"{where} must be an object"})
        return None
    unknown = set(raw) - _COLUMN_KEYS
    if unknown:
        problems.append({"item": where, "message": f"{where}: unknown keys {sorted(unknown)}"})
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        problems.append({"item": where, "message": f"{where}: name must be a word"})
        return None
    sort = raw.get("sort", "none")
    if sort not in SORTS:
        problems.append({"item": where, "message": f"{where}: sort must be one of {', '.join(SORTS)}"})
    flags = {key: raw.get(key, False) for key in ("categorized", "multiple", "totals", "resort")}
    for key, value in flags.items():
        if not isinstance(value, bool):
            problems.append({"item": where, "message": f"{where}: {key} must be true or false"})
    value = _formula(raw.get("value", name), f"{where}.value", problems)
    if value is None or sort not in SORTS or not all(isinstance(v, bool) for v in flags.values()):
        return None
    return Column(name, raw.get("title", name), value, sort, **flags)


def _declared_items(design: Mapping) -> set[str]:
    return BUILTIN_ITEMS | {
        item["name"] for form in design.get("forms", {}).values() for item in form.get("items", [])
    }


def parse_view(name: str, raw: object, design: Mapping | None = None) -> ViewDefinition:
    """A checked view, or ValidationFailed listing every problem found."""
    check_view_name(name)
    if not isinstance(raw, Mapping):
        raise ValidationFailed("a view is an object with selection and columns",
                               errors=[{"item": "view", "message": "not an object"}])
    problems: list[dict] = []
    unknown = set(raw) - _VIEW_KEYS
    if unknown:
        problems.append({"item": "view", "message": f"unknown keys {sorted(unknown)}"})
    columns_raw = raw.get("columns", [])
    if not isinstance(columns_raw, list) or not columns_raw:
        problems.append({"item": "columns", "message": "a view needs a list of columns"})
        columns_raw = []
    if len(columns_raw) > MAX_COLUMNS:
        problems.append({"item": "columns", "message": f"a view has at most {MAX_COLUMNS} columns, "
                                                       f"got {len(columns_raw)}"})
        columns_raw = []
    selection = _formula(raw.get("selection", "@True"), "selection", problems)
    columns = [c for i, raw_column in enumerate(columns_raw) if (c := _column(i, raw_column, problems))]
    if sum(1 for c in columns if c.resort) > MAX_RESORT:
        problems.append({"item": "columns", "message": f"a view has at most {MAX_RESORT} click-to-sort "
                                                       "(resort) columns"})
    if len({c.name for c in columns}) != len(columns):
        problems.append({"item": "columns", "message": "two columns have the same name"})
    leading = 0
    while leading < len(columns) and columns[leading].categorized:
        leading += 1
    if any(c.categorized for c in columns[leading:]) or any(
        c.sort == "none" for c in columns[:leading]
    ):
        problems.append({"item": "columns",
                         "message": "categorised columns must be sorted and come first"})
    responses = raw.get("responses", False)
    if not isinstance(responses, bool):
        problems.append({"item": "responses", "message": "responses must be true or false"})
    if design is not None and selection is not None:
        declared = _declared_items(design)
        for column in columns:
            missing = sorted(column.value.items_used - declared)
            if missing:
                problems.append({"item": f"columns.{column.name}",
                                 "message": f"column {column.name} reads {', '.join(missing)}, "
                                            "which no form of this database declares"})
    if problems:
        raise ValidationFailed("the view is not valid: " + "; ".join(p["message"] for p in problems),
                               errors=problems)
    return ViewDefinition(name, raw.get("title", name), selection, tuple(columns), responses)
