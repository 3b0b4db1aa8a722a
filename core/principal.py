"""Who is asking: a person or a server, how they proved it, and what their credential allows.

A principal is made once per request by the security policy.  It carries the
folded names the gate matches ACL entries and Readers/Authors items against
(its own name and every group that holds it, resolved through nested groups),
and the limits of the credential it came with: an API token may be bound to
one database and to reading.  The gate keeps its per-database answers on the
principal, so a listing of a thousand documents works out the ACL once.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(eq=False)
class Principal:
    """An authenticated caller; ``name`` is what every write records."""

    name: str
    via: str  # "basic", "token" or "session"
    kind: str = "person"  # or "server"
    names: frozenset[str] = frozenset()
    token_id: str | None = None
    session_id: str | None = None  # the web session this request came with
    token_database: str | None = None
    read_only: bool = False
    access_cache: dict = field(default_factory=dict, repr=False)
