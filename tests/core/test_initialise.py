"""``domus init``: databases from templates, the administrator, the demo samples."""
from __future__ import annotations

import pytest

from core.exceptions import ValidationFailed
from core.initialise import DEFAULT_DATABASES, add_user, initialise, load_samples
from core.plugins import make_plugin_manager
from core.root import server_root
from core.storage import connection_scope
from core.templates import load_templates
from databases.samples import sample_documents


@pytest.fixture
def pm():
    return make_plugin_manager(load_entry_points=False)


def test_init_creates_databases_and_generates_a_password_once(zodb, pm):
    created, generated = initialise(zodb, pm, load_templates(pm), None)
    assert created == list(DEFAULT_DATABASES)
    assert generated and len(generated) >= 12
    assert initialise(zodb, pm, load_templates(pm), None) == ([], None)


def test_init_copies_the_template_design(zodb, pm):
    initialise(zodb, pm, load_templates(pm), "admin-password-1")
    with connection_scope(zodb) as (tm, connection):
        tm.begin()
        documents = server_root(connection).get_database("documents")
        assert "Incoming" in documents.design["forms"]
        assert documents.title["ru"] == "Документы"
        assert len(documents.replica_id) == 16


def test_demo_samples_load_with_responses_and_attachments(zodb, pm):
    initialise(zodb, pm, load_templates(pm), "admin-password-1")
    count = load_samples(zodb, pm)
    samples = list(sample_documents())
    assert count == len(samples)
    with connection_scope(zodb) as (tm, connection):
        tm.begin()
        root = server_root(connection)
        total = sum(root.get_database(name).document_count() for name in DEFAULT_DATABASES)
        assert total == len(samples) + 3  # and the administrator, Администраторы, LocalDomainServers
        documents = root.get_database("documents")
        with_files = [d for d in documents.documents.values() if d.current().attachments]
        assert with_files
        parents = [d for d in documents.documents.values() if documents.responses_of(d.unid)]
        assert parents
        for name in DEFAULT_DATABASES:
            assert root.get_database(name).verify() == []


def test_user_add_refuses_a_taken_name(zodb, pm):
    initialise(zodb, pm, load_templates(pm), "admin-password-1")
    add_user(zodb, pm, "ivanova", "Kazan-2026!", "Иванова А. С.")
    with pytest.raises(ValidationFailed, match="taken"):
        add_user(zodb, pm, "Ivanova", "Other-password-1")
