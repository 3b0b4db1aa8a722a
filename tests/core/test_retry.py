"""A write that meets a ZODB conflict is run again from the start, body included."""
from __future__ import annotations

import io

import pytest
from ZODB.POSException import ConflictError

from core.plugins import hookimpl
from tests.conftest import DOCS


class ConflictsFirst:
    """Raises ConflictError for the first ``times`` saves, as a concurrent server would cause."""

    def __init__(self, times: int) -> None:
        self.times = times
        self.saves = 0

    @hookimpl
    def after_save(self, database, document, revision, principal):
        self.saves += 1
        if self.saves <= self.times:
            raise ConflictError("simulated concurrent commit")


@pytest.fixture
def conflicts():
    return ConflictsFirst(times=0)


@pytest.fixture
def extra_plugins(conflicts):
    return (conflicts,)


def test_conflicted_post_is_retried_and_written_once(api, conflicts):
    conflicts.saves, conflicts.times = 0, 2
    answer = api.post_json(DOCS, {"Form": "Memo", "Subject": "Повтор"}, status=201).json
    assert conflicts.saves == 3
    assert api.get(f"{DOCS}/{answer['@unid']}").json["Subject"] == "Повтор"
    assert api.get("/api/databases/documents").json["documents"] == 1


def test_conflicted_attachment_upload_is_retried_with_the_whole_body(api, conflicts, app):
    created = api.post_json(DOCS, {"Subject": "scan"}).json
    conflicts.saves, conflicts.times = 0, 1
    data = b"0123456789" * 10000
    answer = api.put(f"{DOCS}/{created['@unid']}/attachments/scan.bin", io.BytesIO(data).read(),
                     headers={"If-Match": created["@rev"], "Content-Type": "application/octet-stream"},
                     status=201).json
    assert answer["length"] == len(data)
    assert api.get(f"{DOCS}/{created['@unid']}/attachments/scan.bin").body == data


def test_conflicts_beyond_the_attempts_answer_409(api, conflicts, app):
    conflicts.saves, conflicts.times = 0, 1000
    answer = api.post_json(DOCS, {"Subject": "never"}, status=409).json
    assert answer["error"] == "write_conflict"
    assert conflicts.saves == app.registry.settings["domus.retry_attempts"]
    conflicts.times = 0
    assert api.get("/api/databases/documents").json["documents"] == 0
