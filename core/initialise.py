"""Setting up a new server: databases from templates, the administrator, samples.

``initialise`` is idempotent: on an existing storage it only adds what is
missing, so ``make run`` may call it every time.
"""
from __future__ import annotations

import io
import secrets
from collections.abc import Callable

from core.acl import fold
from core.identity import (
    ADMINISTRATORS,
    DIRECTORY,
    GROUP_FORM,
    PERSON_FORM,
    SERVER_FORM,
    find_person,
    identity_state,
)
from core.root import server_root
from core.storage import connection_scope
from core.templates import database_from_template, install_database
from core.writes import Writer

DEFAULT_DATABASES = ("documents", "appeals", "orders", "directory")
ADMIN = "admin"
DOMAIN_SERVERS = "LocalDomainServers"


def initialise(db, pm, templates, admin_password: str | None) -> tuple[list[str], str | None]:
    """Create missing default databases and the administrator.

    Returns the names of the databases created and the administrator's
    password if one had to be generated (to be printed once), else None.
    """
    with connection_scope(db) as (tm, connection), tm:
        root = server_root(connection)
        created = []
        for name in DEFAULT_DATABASES:
            if name not in root.databases:
                install_database(root, pm, database_from_template(templates, name))
                created.append(name)
        directory = root.get_database(DIRECTORY)
        writer = Writer(pm, "domus-init", tm)
        generated = None
        if find_person(directory, ADMIN) is None:
            if not admin_password:
                admin_password = generated = secrets.token_urlsafe(12)
            writer.create(
                directory,
                {
                    "Form": PERSON_FORM,
                    "UserName": ADMIN,
                    "FullName": "Администратор / Administrator",
                    "Password": admin_password,
                },
            )
        for group, members, description in (
            (ADMINISTRATORS, [ADMIN], "Администраторы сервера: Managers of every database"),
            (DOMAIN_SERVERS, [], "Серверы домена: every server that replicates with this one"),
        ):
            if fold(group) not in identity_state(directory).groups:
                writer.create(directory, {"Form": GROUP_FORM, "ListName": group,
                                          "Members": members, "Description": description})
    return created, generated


def add_user(db, pm, user_name: str, password: str, full_name: str = "") -> str:
    """Save a Person document; returns its UNID.  Validation refuses a taken name."""
    with connection_scope(db) as (tm, connection), tm:
        directory = server_root(connection).get_database(DIRECTORY)
        items = {"Form": PERSON_FORM, "UserName": user_name, "Password": password}
        if full_name:
            items["FullName"] = full_name
        return Writer(pm, "domus-cli", tm).create(directory, items).unid


def add_server(db, pm, server_name: str, password: str, title: str = "") -> str:
    """Save a Server document and put it in LocalDomainServers; returns its UNID."""
    with connection_scope(db) as (tm, connection), tm:
        directory = server_root(connection).get_database(DIRECTORY)
        writer = Writer(pm, "domus-cli", tm)
        items = {"Form": SERVER_FORM, "ServerName": server_name, "Password": password}
        if title:
            items["Title"] = title
        unid = writer.create(directory, items).unid
        group = _group_document(directory, DOMAIN_SERVERS)
        if group is not None:
            current = group.current()
            members = list(current.items.get("Members") or [])
            writer.update(directory, group, {**current.items, "Members": members + [server_name]},
                          group.winner)
        return unid


def _group_document(directory, name: str):
    for document in directory.documents.values():
        current = document.current()
        if (not current.deleted and current.items.get("Form") == GROUP_FORM
                and fold(current.items.get("ListName", "")) == fold(name)):
            return document
    return None


def load_samples(db, pm, progress: Callable[[int], None] = lambda n: None, scale: int = 1) -> int:
    """Write the demo documents (with responses and attachments); returns how many."""
    from databases.samples import sample_documents

    unids: dict[str, str] = {}
    count = 0
    with connection_scope(db) as (tm, connection):
        tm.begin()
        root = server_root(connection)
        writer = Writer(pm, "domus-demo", tm)
        for sample in sample_documents(scale=scale):
            database = root.get_database(sample.database)
            parent = unids[sample.parent_key] if sample.parent_key else None
            document = writer.create(database, dict(sample.items), parent)
            for attachment in sample.attachments:
                writer.put_attachment(
                    database, document, document.winner, attachment.name,
                    attachment.content_type, io.BytesIO(attachment.data), len(attachment.data),
                )
            unids[sample.key] = document.unid
            count += 1
            progress(1)
            if count % 200 == 0:
                tm.commit()
                tm.begin()
        tm.commit()
    return count
