"""/metrics of a service with two worker processes adds both workers' counts up."""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from api.auth import issue_token
from tests.conftest import SECRET
from tests.support.server import running_server

METRICS_TOKEN = "metrics-" + "k" * 32


def auth(sub: str, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, sub, list(roles))}"}


def counter(text: str, name: str, labels: str) -> float:
    match = re.search(rf"^{name}\{{{re.escape(labels)}\}} ([0-9.e+]+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


@pytest.mark.postgres
def test_purchases_counted_by_two_workers_add_up_on_one_scrape(postgres_url: str, tmp_path: Path) -> None:
    metrics_dir = tmp_path / "metrics"
    env = {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "BOXOFFICE_METRICS_TOKEN": METRICS_TOKEN}
    with running_server(postgres_url, SECRET, workers=2, extra_env=env) as base:
        host = f"host-{uuid.uuid4().hex[:6]}"
        httpx.post(f"{base}/v1/creators", json={"display_name": "H", "follower_count": 5000},
                   headers=auth(host, "creator"), timeout=60).raise_for_status()
        room = httpx.post(f"{base}/v1/rooms", headers=auth(host, "creator"), json={
            "title": "Counted", "scheduled_start": None, "capacity": 30,
            "ticket_price": {"amount": 500, "currency": "USD"}}, timeout=60).json()

        def buy(_: int) -> int:
            return httpx.post(f"{base}/v1/rooms/{room['id']}/tickets",
                              headers=auth(f"l-{uuid.uuid4().hex[:8]}", "listener"), timeout=60).status_code

        with ThreadPoolExecutor(8) as pool:  # concurrent new connections: both workers take some
            assert sorted(pool.map(buy, range(30))) == [201] * 30
        for _ in range(4):
            assert httpx.post(f"{base}/v1/rooms/{room['id']}/tickets",
                              headers=auth(f"l-{uuid.uuid4().hex[:8]}", "listener"), timeout=60).status_code == 409
        refused = httpx.get(f"{base}/metrics", timeout=60)
        scrape = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=60)

    assert refused.status_code == 404  # a token is set: nobody reads without it
    assert counter(scrape.text, "boxoffice_purchases_total", 'outcome="accepted"') == 30
    assert counter(scrape.text, "boxoffice_purchases_total", 'outcome="sold_out"') == 4
    writers = {re.search(r"_(\d+)\.db$", p.name).group(1) for p in metrics_dir.glob("counter_*.db")}
    assert len(writers) == 2  # both worker processes counted, and the scrape added them up
    assert f'boxoffice_room_seats_sold{{room_id="{room["id"]}"}} 30.0' in scrape.text
