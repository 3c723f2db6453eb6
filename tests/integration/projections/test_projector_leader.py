"""On PostgreSQL the in-process projectors of several API processes elect one leader (a session
advisory lock): one applies batches, the others follow its positions; when the leader stops,
however it stops, a follower takes over. Two services on one database stand for two processes."""

from __future__ import annotations

import time

import psycopg
import pytest

from projections.projector import LEAD_LOCK, LEAD_RETRY
from store.run_lock import lock_key
from tests.integration.projections.support import a_room, unique

pytestmark = pytest.mark.postgres


def _leaders(url: str) -> int:
    """Sessions holding the leader lock now (the lock's key split as PostgreSQL shows it)."""
    key = lock_key(LEAD_LOCK) & 0xFFFFFFFFFFFFFFFF
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                            " AND classid = %s AND objid = %s AND database = (SELECT oid FROM pg_database"
                            " WHERE datname = current_database())", (key >> 32, key & 0xFFFFFFFF)).fetchone()[0]


def _eventually(check, seconds: float = 10.0) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def test_one_projector_leads_the_other_follows_and_takes_over_when_the_leader_stops(make_services, postgres_url):  # noqa: ANN001
    first, second = make_services(postgres_url), make_services(postgres_url)
    box = first.app
    room = a_room(box, unique("host"), capacity=100)
    first.projector.start()
    assert _eventually(lambda: _leaders(postgres_url) == 1)
    second.projector.start()
    try:
        # Both processes sell; one projector applies everything, the other only sees its positions.
        for services in (first, second, first, second):
            services.app.buy_ticket(room.id, unique("listener"))
        head = box.uow.position()
        assert first.projector.wait(head, timeout=10) and second.projector.wait(head, timeout=10)
        assert _leaders(postgres_url) == 1

        # The leader stops: its session ends, and the follower leads within its retry period.
        first.projector.stop()
        second.app.buy_ticket(room.id, unique("listener"))
        later = second.app.uow.position()

        assert _eventually(lambda: _leaders(postgres_url) == 1, LEAD_RETRY * 5)
        assert second.projector.wait(later, timeout=LEAD_RETRY * 10)
        assert min(second.projector.positions().values()) >= later
    finally:
        first.projector.stop()
        second.projector.stop()
    assert _eventually(lambda: _leaders(postgres_url) == 0)
