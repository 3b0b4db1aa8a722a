"""The demo's appeals carry Readers items: each executor sees their own, the office all of them."""
from __future__ import annotations

from webtest import TestApp

from core.initialise import load_samples
from databases.samples import DEMO_PASSWORD

APPEALS = "/api/databases/appeals/documents?include_docs=true&limit=1000"


def _as(app, name: str) -> TestApp:
    client = TestApp(app)
    client.authorization = ("Basic", (name, DEMO_PASSWORD))
    return client


def test_demo_users_see_only_the_appeals_they_may(app, zodb):
    load_samples(zodb, app.registry.pm)
    office = _as(app, "nurieva").get(APPEALS).json  # the appeals office (a group in Readers)
    petrov = _as(app, "petrov").get(APPEALS).json  # an executor
    assert office["total"] == len(office["rows"]) > 80
    assert 0 < petrov["total"] == len(petrov["rows"]) < office["total"]
    executor = "Петров Игорь Валентинович"
    mine = {row["@unid"] for row in office["rows"] if row.get("Executor") == executor}
    assert mine <= {row["@unid"] for row in petrov["rows"]}
    assert all(row.get("Executor") in (executor, None) for row in petrov["rows"])
