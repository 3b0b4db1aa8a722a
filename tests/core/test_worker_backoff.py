"""The worker lets requests finish first: its round waits for a pause, but never without bound."""
from __future__ import annotations

import threading
import time

from core.groupcommit import RequestTraffic
from core.waiting import WaitingSlots
from core.worker import SETTLE_SECONDS, Worker
from tests.conftest import DOCS


def test_traffic_is_quiet_only_once_no_request_is_being_answered():
    slots = WaitingSlots(2, 2)
    traffic = RequestTraffic(slots)
    assert traffic.quiet_for() > SETTLE_SECONDS  # no request yet
    traffic.enter()
    assert traffic.quiet_for() == 0.0
    traffic.leave()
    assert 0.0 <= traffic.quiet_for() < SETTLE_SECONDS


def test_a_request_waiting_in_a_slot_does_not_hold_the_worker_back():
    slots = WaitingSlots(2, 2)
    traffic = RequestTraffic(slots)
    traffic.enter()  # a longpoll: it answers only when something changes
    with slots.hold(None):
        time.sleep(SETTLE_SECONDS)
        assert traffic.quiet_for() > 0.0
    assert traffic.quiet_for() == 0.0


def _worker(app, quiet_for) -> Worker:
    return Worker(app.registry.zodb, app.registry.pm, app.registry.settings, quiet_for)


def test_worker_waits_for_requests_to_pause(app):
    pause = threading.Event()
    worker = _worker(app, lambda: 1.0 if pause.is_set() else 0.0)
    threading.Timer(0.1, pause.set).start()
    started = time.monotonic()
    worker._let_requests_pause(5.0)
    assert 0.1 <= time.monotonic() - started < 2.0


def test_worker_waits_at_most_its_bound_while_requests_keep_coming(app):
    worker = _worker(app, lambda: 0.0)
    started = time.monotonic()
    worker._let_requests_pause(0.1)
    assert 0.1 <= time.monotonic() - started < 1.0


def test_worker_does_not_wait_when_stopped(app):
    worker = _worker(app, lambda: 0.0)
    worker._stop.set()
    started = time.monotonic()
    worker._let_requests_pause(5.0)
    assert time.monotonic() - started < 0.5


def test_a_full_batch_tells_the_worker_it_is_behind(app, api):
    worker = Worker(app.registry.zodb, app.registry.pm, app.registry.settings)
    for consumer in worker.consumers:
        consumer.batch_size = 2
    api.post_json(DOCS, [{"N": n} for n in range(5)])
    worker.run_once(now=0)
    assert worker._behind
    while worker.run_once(now=0):
        pass
    assert not worker._behind
    worker.stop()
