"""Database templates: the shipped TOML files plus what plugins contribute.

A template is plain data (forms, views, roles, ACL, purge interval).  A
database copies its template's design when it is created, so later edits of
the design at run time never touch the template.
"""
from __future__ import annotations

import tomllib
from collections.abc import Mapping

from core.acl import CLOSED_ENTRIES, parse_acl
from core.database import Database, check_database_name
from core.exceptions import ConfigurationError, NotFound

DESIGN_KEYS = ("forms", "views", "roles", "acl")


def shipped_templates() -> list[dict]:
    """The templates in ``databases/*.toml``, read fresh."""
    from databases import TEMPLATE_DIR

    templates = []
    for path in sorted(TEMPLATE_DIR.glob("*.toml")):
        with path.open("rb") as handle:
            try:
                templates.append(tomllib.load(handle))
            except tomllib.TOMLDecodeError as error:
                raise ConfigurationError(f"template {path.name}: {error}") from None
    return templates


def load_templates(pm) -> dict[str, dict]:
    """Every template by name; two templates with one name stop the start-up."""
    by_name: dict[str, dict] = {}
    contributed = [t for batch in pm.hook.register_templates() for t in batch or ()]
    for template in shipped_templates() + contributed:
        if not isinstance(template, Mapping) or "name" not in template:
            raise ConfigurationError(f"a template has no name: {template!r:.80}")
        name = check_database_name(template["name"])
        if name in by_name:
            raise ConfigurationError(f"two database templates are named {name!r}")
        by_name[name] = dict(template)
    return by_name


def database_from_template(
    templates: Mapping[str, dict],
    template_name: str,
    name: str | None = None,
    title: Mapping[str, str] | None = None,
    replica_id: str | None = None,
) -> Database:
    """A new, empty database whose design is a copy of the template's."""
    template = templates.get(template_name)
    if template is None:
        raise NotFound(
            f"no template named {template_name!r}; known: {', '.join(sorted(templates))}"
        )
    design = {key: template.get(key, {} if key in ("forms", "views") else []) for key in DESIGN_KEYS}
    entries = design["acl"] or [dict(entry) for entry in CLOSED_ENTRIES]
    design["acl"] = parse_acl({"entries": entries, "roles": design["roles"]})
    return Database(
        name or template["name"],
        dict(title or template.get("title") or {"en": template_name}),
        template_name,
        design,
        replica_id=replica_id,
        purge_interval_days=int(template.get("purge_interval_days", 90)),
    )


def install_database(root, pm, database: Database) -> Database:
    """Add a new database to the server and let plugins set it up (``database_created``)."""
    root.add_database(database)
    pm.hook.database_created(database=database)
    return database
