"""What every page knows: who is reading, in which language, the CSRF token, the navigation.

Views return ``page(request, ...)``; the base template reads these names.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from core import access
from plugins.webui.i18n import LANGUAGE_NAMES, in_language
from views import catalog

#: Route names of the UI start with this; its error pages apply to them only.
PREFIX = "ui."


def safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (``//evil``, ``https://…``, ``\\\\``)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


def page(request, **values) -> dict:
    principal = request.identity
    return {
        "user": principal.name if principal else None,
        "csrf_token": request.session_csrf_token(),
        "locale": request.locale_name,
        "languages": LANGUAGE_NAMES,
        "here": request.path_qs,
        # Search pages exist where the full-text engine (a plugin of its own) is loaded.
        "searchable": getattr(request.registry, "fulltext", None) is not None,
        **values,
    }


def database_title(database, locale: str) -> str:
    return in_language(database.title, locale, database.name)


def outline(database, locale: str) -> list[dict]:
    """Domino's navigator: views grouped into folders by the ``\\`` in their titles."""
    folders: dict[str, dict] = {}
    entries: list[dict] = []
    for name, view in catalog.definitions(database).items():
        path = in_language(view.title, locale, name).split("\\")
        leaf = {"name": name, "title": path[-1]}
        if len(path) == 1:
            entries.append({"title": path[0], "views": [leaf], "folder": False})
            continue
        folder = folders.get(path[0])
        if folder is None:
            folder = folders[path[0]] = {"title": path[0], "views": [], "folder": True}
            entries.append(folder)
        folder["views"].append({"name": name, "title": " / ".join(path[1:])})
    for entry in entries:
        entry["views"].sort(key=lambda leaf: leaf["title"].casefold())
    return sorted(entries, key=lambda entry: entry["title"].casefold())


def creatable_forms(request, database, responses: bool) -> list[dict]:
    """Forms the caller may create documents with: main forms, or the forms of responses."""
    if not access.may_create(request.identity, database):
        return []
    locale = request.locale_name
    forms = database.design.get("forms", {})
    return sorted(({"name": name, "title": in_language(form.get("title"), locale, name)}
                   for name, form in forms.items() if bool(form.get("responses")) == responses),
                  key=lambda form: form["title"].casefold())
