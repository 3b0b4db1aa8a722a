"""Views that read the clock (@Today, @Now) follow it: the worker re-evaluates them every minute."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.worker import Worker

APPEALS = "/api/databases/appeals/documents"
OVERDUE = "/api/databases/appeals/views/AppealsOverdue"


def _appeal(api, number: str, deadline: str, status: str = "на исполнении") -> None:
    api.post_json(APPEALS, {"Form": "Appeal", "RegNumber": number, "Deadline": deadline,
                            "Status": status, "Applicant": "Гарипов Р. Р.", "Text": "Двор"})


def test_an_overdue_view_follows_a_fake_clock(app, api):
    today = datetime.now(UTC).date()
    _appeal(api, "Ж-1", (today + timedelta(days=1)).isoformat())
    _appeal(api, "Ж-2", (today - timedelta(days=3)).isoformat())
    _appeal(api, "Ж-3", (today - timedelta(days=3)).isoformat(), status="отвечено")
    assert [r["RegNumber"] for r in api.get(OVERDUE).json["rows"]] == ["Ж-2"]

    worker = Worker(app.registry.zodb, app.registry.pm, app.registry.settings)
    later = datetime.combine(today + timedelta(days=2), datetime.min.time(), UTC).timestamp()
    try:
        worker.run_once(now=later)  # the minute's refresh schedules a rebuild of clock views
        for second in range(1, 5):
            worker.run_once(now=later + second)  # the builder runs with the worker's clock
    finally:
        worker.stop()
    rows = api.get(OVERDUE).json
    assert rows["state"] == "ready"
    assert [r["RegNumber"] for r in rows["rows"]] == ["Ж-2", "Ж-1"]
