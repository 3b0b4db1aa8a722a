"""Database access control lists, as in Domino.

An ACL is a list of entries — people, groups, servers, ``-Default-`` and
``Anonymous`` — each with a level from No Access to Manager, the database's
roles it holds and two flags (may create, may delete documents), plus the
list of roles the database defines.  It is plain data in ``database.design``
(copied from the template, edited by Managers through the API), checked by
``parse_acl`` before it is stored so a bad ACL never reaches the gate.

``effective_access`` answers what one principal may do: the highest level
among the entries that name the principal or one of its groups, the union of
their roles and flags.  Only when no entry matches does ``-Default-`` (or
``Anonymous`` for a caller who did not log in) apply.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core.exceptions import ValidationFailed

LEVELS = ("noaccess", "depositor", "reader", "author", "editor", "designer", "manager")
NOACCESS, DEPOSITOR, READER, AUTHOR, EDITOR, DESIGNER, MANAGER = range(len(LEVELS))
ENTRY_TYPES = ("person", "group", "server", "unspecified")
DEFAULT = "-default-"
ANONYMOUS = "anonymous"
_ROLE = re.compile(r"^\[[^\[\]\s][^\[\]]{0,62}\]$")
MAX_ENTRIES = 2000


def fold(name: str) -> str:
    """Names compare without case, as Domino compares them."""
    return name.strip().casefold()


@dataclass(frozen=True)
class Access:
    """What one principal may do in one database."""

    level: int
    roles: frozenset[str] = frozenset()
    can_create: bool = False
    can_delete: bool = False

    def describe(self) -> dict[str, object]:
        return {
            "level": LEVELS[self.level],
            "roles": sorted(self.roles),
            "canCreate": self.may_create,
            "canDelete": self.can_delete,
        }

    @property
    def may_create(self) -> bool:
        """Depositors, Editors and above always create; Authors need the flag; Readers never."""
        return self.level in (DEPOSITOR, *range(EDITOR, MANAGER + 1)) or (
            self.level == AUTHOR and self.can_create
        )


NO_ACCESS = Access(NOACCESS)


def _entry(name: str, kind: str, level: str, can_delete: bool = False) -> dict[str, object]:
    return {"name": name, "type": kind, "level": level, "roles": [],
            "canCreate": level in LEVELS[EDITOR:], "canDelete": can_delete}


#: The ACL of a database whose template names none: only administrators and peer servers.
CLOSED_ENTRIES = (
    _entry("-Default-", "unspecified", "noaccess"),
    _entry("Anonymous", "unspecified", "noaccess"),
    _entry("Администраторы", "group", "manager", can_delete=True),
    _entry("LocalDomainServers", "server", "manager", can_delete=True),
)


def _problem(index: int | None, message: str) -> dict[str, object]:
    where = "acl" if index is None else f"entries[{index}]"
    return {"item": where, "message": message}


def _parse_entry(index: int, raw: object, roles: set[str], problems: list) -> dict | None:
    if not isinstance(raw, Mapping):
        problems.append(_problem(index, "an entry is an object with name, type and level"))
        return None
    unknown = set(raw) - {"name", "type", "level", "roles", "canCreate", "canDelete"}
    if unknown:
        problems.append(_problem(index, f"unknown keys {sorted(unknown)}"))
    name, kind, level = raw.get("name"), raw.get("type", "unspecified"), raw.get("level")
    entry_roles, can_create, can_delete = raw.get("roles", []), raw.get("canCreate"), raw.get("canDelete")
    if not isinstance(name, str) or not name.strip() or len(name) > 256:
        problems.append(_problem(index, "name must be a non-empty string of at most 256 characters"))
    if kind not in ENTRY_TYPES:
        problems.append(_problem(index, f"type must be one of {', '.join(ENTRY_TYPES)}"))
    if level not in LEVELS:
        problems.append(_problem(index, f"level must be one of {', '.join(LEVELS)}"))
    if not isinstance(entry_roles, list) or not all(isinstance(r, str) for r in entry_roles):
        problems.append(_problem(index, "roles must be a list of role names"))
        entry_roles = []
    for role in entry_roles:
        if role not in roles:
            problems.append(_problem(index, f"role {role!r} is not among the database's roles"))
    for flag, value in (("canCreate", can_create), ("canDelete", can_delete)):
        if value is not None and not isinstance(value, bool):
            problems.append(_problem(index, f"{flag} must be true or false"))
    return {
        "name": name.strip() if isinstance(name, str) else name,
        "type": kind,
        "level": level,
        "roles": sorted(set(entry_roles)),
        "canCreate": bool(can_create) if can_create is not None else level in LEVELS[EDITOR:],
        "canDelete": bool(can_delete),
    }


def parse_acl(raw: object) -> dict[str, list]:
    """A checked ACL ``{"entries": [...], "roles": [...]}``, or ValidationFailed (422).

    Refused: unknown levels or types, undeclared or malformed roles, a name
    listed twice, no ``-Default-`` entry, and an ACL that leaves the database
    without a Manager (nobody could ever edit it again).
    """
    problems: list[dict[str, object]] = []
    if not isinstance(raw, Mapping) or not isinstance(raw.get("entries"), list):
        raise ValidationFailed('send {"entries": [...], "roles": [...]}',
                               errors=[_problem(None, "entries must be a list")])
    roles = raw.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) and _ROLE.match(r) for r in roles):
        problems.append(_problem(None, "roles must be a list of names in brackets, like [Registrar]"))
        roles = []
    if len(raw["entries"]) > MAX_ENTRIES:
        problems.append(_problem(None, f"an ACL may have at most {MAX_ENTRIES} entries"))
    entries, seen = [], set()
    for index, item in enumerate(raw["entries"][:MAX_ENTRIES]):
        entry = _parse_entry(index, item, set(roles), problems)
        if entry is None or not isinstance(entry["name"], str):
            continue
        if fold(entry["name"]) in seen:
            problems.append(_problem(index, f"{entry['name']!r} is listed twice"))
        seen.add(fold(entry["name"]))
        entries.append(entry)
    if DEFAULT not in seen:
        problems.append(_problem(None, "an ACL needs a -Default- entry"))
    if not any(entry["level"] == "manager" for entry in entries):
        problems.append(_problem(None, "an ACL needs at least one Manager entry"))
    if problems:
        raise ValidationFailed(
            "the ACL is not valid: " + "; ".join(str(p["message"]) for p in problems), errors=problems
        )
    return {"entries": entries, "roles": sorted(set(roles))}


def acl_of(database) -> dict[str, list]:
    """The database's ACL as stored in its design."""
    return database.design["acl"]


def set_acl(database, acl: dict[str, list]) -> None:
    """Store a checked ACL (reassigning the design so ZODB sees the change)."""
    design = dict(database.design)
    design["acl"] = acl
    design["roles"] = list(acl["roles"])
    database.design = design


def _matches(entry: Mapping, names: frozenset[str], kind: str) -> bool:
    """Group and unspecified entries match anyone so named; person and server entries their kind."""
    if fold(entry["name"]) not in names:
        return False
    entry_type = entry.get("type", "unspecified")
    return entry_type in ("group", "unspecified") or entry_type == kind


def effective_access(acl: Mapping, names: Iterable[str] | None, kind: str = "person") -> Access:
    """The access of a principal known by ``names`` (its own name and all its groups).

    ``names`` is None for a caller who did not log in.  A ``server`` entry
    names a server or a group of servers; a ``person`` entry only a person.
    """
    entries = acl.get("entries", [])
    matched: list[Mapping] = []
    if names is not None:
        folded = frozenset(names)
        matched = [
            e for e in entries
            if fold(e["name"]) not in (DEFAULT, ANONYMOUS) and _matches(e, folded, kind)
        ]
    if not matched:
        wanted = (ANONYMOUS, DEFAULT) if names is None else (DEFAULT,)
        by_name = {fold(e["name"]): e for e in entries}
        fallback = next((by_name[w] for w in wanted if w in by_name), None)
        matched = [fallback] if fallback is not None else []
    if not matched:
        return NO_ACCESS
    return Access(
        level=max(LEVELS.index(e["level"]) for e in matched),
        roles=frozenset(role for e in matched for role in e.get("roles", ())),
        can_create=any(e.get("canCreate") for e in matched),
        can_delete=any(e.get("canDelete") for e in matched),
    )
