"""One page of a view as the table shows it: category rows that open and close, documents, paging.

Everything is read through the view engine's public reader
(``views.reading.ViewReader``) with the caller's row filter from
``core.access``, so rows, counts and categories leave out what the caller
may not read.  The page's state lives in its URL (which categories are
open, the offset, the direction, a "jump to" key), so every state has a
link that works without JavaScript and can be bookmarked.

A view can be turned round on its first sorted column (its index is kept
in that order), and sorted either way by any column its designer made
click-to-sort (``resort``): the view engine keeps an order for each, and the
view is then shown flat, without categories, as Domino shows it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from core import access
from core.exceptions import BadRequest
from plugins.webui.document import SUBJECT_ITEMS, document_heading
from plugins.webui.formatting import show_scalar
from plugins.webui.i18n import in_language
from views import catalog
from views.reading import Query, ViewReader, parse_key

PAGE_SIZE = 50
MAX_OPEN = 20  # categories open at once: each is one more read of the index
MAX_DEPTH_SHOWN = 8  # deeper responses are indented as deep as this


@dataclass
class Params:
    """The view page's URL parameters, checked."""

    start: int = 0
    descending: bool = False
    key: str = ""
    expand: bool = False
    category: str | None = None
    opened: tuple[str, ...] = ()
    resort: str | None = None  # the click-to-sort column the rows are ordered by

    @classmethod
    def from_request(cls, request) -> Params:
        params = request.GET
        raw_start = params.get("start", "0") or "0"
        if not raw_start.isdigit() or len(raw_start) > 12:
            raise BadRequest(f"start must be a whole number, got {raw_start!r}")
        key = params.get("key", "")
        if len(key) > 1000:
            raise BadRequest("a key is at most 1000 characters")
        opened = tuple(dict.fromkeys(params.getall("open")))[:MAX_OPEN]
        return cls(int(raw_start), params.get("desc") == "1", key.strip(),
                   params.get("expand") == "1", params.get("category"), opened, params.get("sort") or None)

    def query(self, **changes) -> list[tuple[str, str]]:
        """URL parameters of this state with ``changes``; defaults are left out."""
        state = {"start": self.start, "desc": self.descending, "key": self.key, "expand": self.expand,
                 "category": self.category, "open": self.opened, "sort": self.resort, **changes}
        pairs: list[tuple[str, str]] = []
        if state["sort"]:
            pairs.append(("sort", state["sort"]))
        if state["category"] is not None:
            pairs.append(("category", state["category"]))
        if state["expand"]:
            pairs.append(("expand", "1"))
        if state["desc"]:
            pairs.append(("desc", "1"))
        if state["key"]:
            pairs.append(("key", state["key"]))
        if state["start"]:
            pairs.append(("start", str(state["start"])))
        pairs.extend(("open", text) for text in state["open"])
        return pairs


@dataclass
class Table:
    columns: list[dict] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    total: int = 0
    categories: int | None = None
    first: int = 0
    last: int = 0
    previous: list | None = None
    next: list | None = None
    state: dict = field(default_factory=dict)
    link_column: int = 0  # the cell that links to the document
    category_span: int = 0  # leading columns a category row's label spans


def category_text(value: object) -> str:
    """The URL spelling of a category key, read back by ``parse_key``."""
    if isinstance(value, bool) or value is None:
        return ""
    return str(value)


def _link_column(columns) -> int:
    """The cell that links to the document: its subject if the view shows one, else the first."""
    plain = [i for i, column in enumerate(columns) if not column.categorized] or [0]
    return next((i for i in plain if columns[i].name in SUBJECT_ITEMS), plain[0])


class ViewPage:
    """Reads one page of ``view_name`` for ``principal`` and lays it out for the template."""

    def __init__(self, database, view_name: str, principal, locale: str, params: Params) -> None:
        self.database = database
        serving = catalog.serving(database, view_name)
        # While a changed view is rebuilt, its old index serves with the definition it was built from.
        self.view, self.index = serving or (catalog.definition(database, view_name), None)
        self.locale = locale
        self.params = params
        self.reader = (ViewReader(self.view, self.index, access.row_filter(principal, database))
                       if self.index is not None else None)
        sorted_columns = self.view.sorted_columns
        self.key_column = sorted_columns[0].name if sorted_columns else None
        self.category_columns = {c.name for c in self.view.columns if c.categorized}
        self.link_column = _link_column(self.view.columns)

    # -- reading -----------------------------------------------------------
    def _read(self, **query) -> dict:
        return self.reader.read(Query(descending=self.params.descending, resort=self.params.resort, **query))

    def table(self) -> Table:
        table = Table(columns=self._columns(), state=catalog.state(self.database, self.view.name),
                      link_column=self.link_column,
                      category_span=max(1, self.view.categories))
        if self.reader is None:
            return table
        params = self.params
        startkey = parse_key(params.key) if params.key else None
        if params.category is not None:
            answer = self._read(start=params.start, count=PAGE_SIZE, category=parse_key(params.category))
            table.rows = [self._document(row) for row in answer["rows"]]
        elif self.view.categories and not params.expand and params.resort is None:
            answer = self._read(start=params.start, count=PAGE_SIZE, startkey=startkey)
            table.categories = answer["categories"]
            for row in answer["rows"]:
                table.rows.extend(self._category_with_members(row))
        else:
            answer = self._read(start=params.start, count=PAGE_SIZE, startkey=startkey,
                                expand=params.expand)
            table.rows = [self._category(row, toggles=False) if "@category" in row
                          else self._document(row) for row in answer["rows"]]
        table.total = answer["total"]
        shown = table.categories if table.categories is not None else table.total
        table.first = min(params.start + 1, shown)
        table.last = min(params.start + PAGE_SIZE, shown)
        if params.start > 0:
            table.previous = params.query(start=max(0, params.start - PAGE_SIZE))
        if params.start + PAGE_SIZE < shown:
            table.next = params.query(start=params.start + PAGE_SIZE)
        return table

    # -- laying out --------------------------------------------------------
    def _columns(self) -> list[dict]:
        return [{"name": column.name, "title": in_language(column.title, self.locale, column.name),
                 **self._sorting(column), "category": column.categorized, "totals": column.totals}
                for column in self.view.columns]

    def _sorting(self, column) -> dict:
        """How a column's header sorts: the order it shows (None if it does not) and its link.

        The key column turns the view round (or, while another column sorts it, brings back
        the view's own order); a click-to-sort column sorts by itself, then turns round.
        """
        params = self.params
        active = params.resort == column.name if params.resort else column.name == self.key_column
        if active:
            base = "ascending" if params.resort else column.sort
            direction = base if not params.descending else (
                "descending" if base == "ascending" else "ascending")
            return {"sortable": True, "direction": direction,
                    "toggle": params.query(desc=not params.descending, start=0, key="")}
        if column.resort:
            return {"sortable": True, "direction": None,
                    "toggle": params.query(sort=column.name, desc=False, start=0, key="", category=None,
                                           expand=False, open=())}
        if column.name == self.key_column:
            return {"sortable": True, "direction": None,
                    "toggle": params.query(sort=None, desc=False, start=0, key="")}
        return {"sortable": False, "direction": None, "toggle": None}

    def _cells(self, row: dict, blank_categories: bool) -> list[str]:
        return ["" if blank_categories and c.name in self.category_columns
                else show_scalar(row.get(c.name), self.locale) for c in self.view.columns]

    def _document(self, row: dict) -> dict:
        depth = row["@position"].count(".")
        cells = self._cells(row, blank_categories=True)
        if depth and not cells[self.link_column]:
            # A response often lacks its main documents' columns: name it as its own page does.
            document = self.database.documents[row["@unid"]]
            cells[self.link_column] = document_heading(self.database, document.current().items, self.locale)
        return {"kind": "document", "unid": row["@unid"], "conflict": bool(row.get("@conflict")),
                "depth": min(depth, MAX_DEPTH_SHOWN), "response": depth > 0, "cells": cells}

    def _category(self, row: dict, toggles: bool) -> dict:
        text = category_text(row["@category"])
        is_open = text in self.params.opened
        opened = tuple(t for t in self.params.opened if t != text) if is_open else (
            *self.params.opened, text)
        return {
            "kind": "category", "key": text, "count": row["@count"], "open": is_open,
            "label": show_scalar(row["@category"], self.locale),
            "toggle": self.params.query(open=opened[:MAX_OPEN]) if toggles else None,
            "totals": {c.name: show_scalar(row.get(c.name), self.locale)
                       for c in self.view.columns if c.totals},
        }

    def _category_with_members(self, row: dict) -> list[dict]:
        category = self._category(row, toggles=True)
        rows = [category]
        if category["open"]:
            members = self._read(count=PAGE_SIZE, category=parse_key(category["key"]))["rows"]
            rows.extend(self._document(member) for member in members)
            if category["count"] > PAGE_SIZE:
                rows.append({"kind": "more", "count": category["count"],
                             "link": self.params.query(category=category["key"], start=0,
                                                       open=(), key="")})
        return rows
