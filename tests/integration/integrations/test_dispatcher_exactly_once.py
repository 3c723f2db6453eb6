"""The dispatcher enqueues exactly once per event and endpoint: killed mid-batch it resumes
without losing or duplicating an enqueue, and two dispatchers at once take turns.

On PostgreSQL, where the worker layout and several processes matter.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest

from integrations.webhook_dispatcher import WebhookDispatcher
from tests.support.server import ROOT

pytestmark = pytest.mark.postgres

ROOMS = 40


def arrange(services):
    """An endpoint for room.opened, then ROOMS rooms opened (through the application)."""
    box = services.app
    box.register_creator("host-1", "Host", 5000)
    box.register_webhook_endpoint("http://127.0.0.1:9/never-called", ["room.opened"], "", "whsec_" + "A" * 43, "t")
    from domain.money import Money

    for i in range(ROOMS):
        box.open_room("host-1", title=f"room {i}", scheduled_start=None, price=Money(999, "USD"), capacity=10)
    services.projector.catch_up()


def deliveries(services):
    rows = services.db.query("SELECT endpoint_id, message_id FROM webhook_deliveries")
    return [(r["endpoint_id"], r["message_id"]) for r in rows]


class CrashingDispatcher(WebhookDispatcher):
    """Dies (raises) after writing part of a batch, like a process killed mid-transaction."""

    def react(self, tx, events):
        super().react(tx, events[: len(events) // 2])
        raise RuntimeError("killed mid-batch")


def a_dispatcher(services, cls=WebhookDispatcher, batch_size=500):
    return cls(services.app, services.db, services.clock, schedule=[0], timeout=1,
               disable_after=timedelta(days=5), environment="test", batch_size=batch_size)


def test_a_dispatcher_killed_mid_batch_writes_nothing_and_its_successor_enqueues_each_event_once(make_services,
                                                                                                 postgres_url):
    services = make_services(postgres_url, reactors="worker")
    arrange(services)
    crashing = a_dispatcher(services, CrashingDispatcher)

    with pytest.raises(RuntimeError):
        crashing.enqueue_once()
    assert (deliveries(services), crashing.position()) == ([], 0)

    a_dispatcher(services).catch_up()
    a_dispatcher(services).catch_up()  # a restart finds nothing more to do

    found = deliveries(services)
    assert len(found) == ROOMS and len(set(found)) == ROOMS


def test_two_dispatchers_at_once_enqueue_each_event_once(make_services, postgres_url):
    services = make_services(postgres_url, reactors="worker")
    arrange(services)
    first, second = a_dispatcher(services, batch_size=7), a_dispatcher(services, batch_size=7)

    threads = [threading.Thread(target=d.catch_up) for d in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    found = deliveries(services)
    assert len(found) == ROOMS and len(set(found)) == ROOMS


def test_a_worker_process_killed_and_restarted_loses_and_repeats_no_enqueue(make_services, postgres_url):
    services = make_services(postgres_url, reactors="worker")
    arrange(services)
    env = {**os.environ, "BOXOFFICE_DATABASE_URL": postgres_url, "BOXOFFICE_LOG_LEVEL": "WARNING",
           "BOXOFFICE_REACTORS": "worker", "BOXOFFICE_WEBHOOK_RETRY_SCHEDULE": "3600"}

    def worker():
        return subprocess.Popen([sys.executable, "-m", "api.cli", "reactors", "run"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    killed = worker()
    deadline = time.monotonic() + 60
    while not deliveries(services) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    restarted = worker()
    try:
        head = services.app.uow.position()
        reactor = a_dispatcher(services)
        while reactor.position() < head and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        os.killpg(restarted.pid, signal.SIGKILL)
        restarted.wait()

    found = deliveries(services)
    assert len(found) == ROOMS and len(set(found)) == ROOMS


def test_with_no_endpoint_the_dispatcher_passes_over_the_log_without_reading_an_event(make_services, postgres_url):
    services = make_services(postgres_url, reactors="worker")
    box = services.app
    box.register_creator("host-1", "Host", 5000)
    from domain.money import Money

    for i in range(5):
        box.open_room("host-1", title=f"room {i}", scheduled_start=None, price=Money(999, "USD"), capacity=10)
    services.projector.catch_up()
    reactor = a_dispatcher(services, batch_size=2)
    reads = []
    select = reactor.recorder.select_notifications
    reactor.recorder = type("Counting", (), {
        "select_notifications": lambda self, *a, **k: reads.append(a) or select(*a, **k),
        "max_notification_id": lambda self: services.app.recorder.max_notification_id()})()

    covered = reactor.enqueue_once()

    head = services.app.uow.position()
    assert (reads, reactor.position(), covered, reactor.more) == ([], head, head, False)
    assert reactor.enqueue_once() == 0  # caught up: nothing more


def test_the_runner_waits_for_its_poll_after_a_round_that_only_caught_up(make_services, postgres_url):
    from integrations.reactor import ReactorRunner

    services = make_services(postgres_url, reactors="worker")
    arrange(services)  # an endpoint: the dispatcher reads and enqueues
    reactor = a_dispatcher(services, batch_size=7)
    runner = ReactorRunner([reactor])

    rounds = []
    while True:
        busy, again = runner._round()
        rounds.append(again)
        if not again:
            break

    assert reactor.position() == services.app.uow.position()
    assert rounds[-1] is False and len(rounds) >= 2  # full batches went on at once; the last one waits
