"""A whole ledger streams as CSV and NDJSON in constant memory and says what the JSON pages say.

On PostgreSQL, 200,000+ postings (40,000 sales of five postings each, seeded in
large saves by the finance benchmark's seeder) are exported by a real API process (one
uvicorn worker, its own OS process). While the CSV streams, the test samples
the server's resident memory from /proc: it must stay within a fixed margin
of what it was before, far below the size of the export. Then the same
entries are read as JSON pages of 1,000: concatenated, they are the stream.
"""

from __future__ import annotations

import csv
import io
import threading
from typing import Any

import httpx
import orjson
import pytest

from bench.finance_reads import Seeder, memory_kib, server_pids
from tests.conftest import SECRET, bearer
from tests.support.server import running_server

pytestmark = pytest.mark.postgres

SALES = 40_000
MARGIN_MIB = 20  # the CSV body is about 48 MiB; a buffered export would hold several times that


class RssSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, memory_kib(self.pid, "VmRSS"))
            self.done.wait(0.01)


def pages(http: httpx.Client, headers: dict[str, str]) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        body = http.get("/v1/ledger/entries", params={"limit": 1000, **({"cursor": cursor} if cursor else {})},
                        headers=headers).json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def test_a_streamed_export_of_200k_postings_equals_the_paged_json_and_the_server_memory_stays_flat(
    make_services, postgres_url  # noqa: ANN001
) -> None:
    # Arrange: 200 rooms of 200 paid tickets (the finance benchmark's seed), projected.
    services = make_services(postgres_url)
    Seeder(services, SALES * 2).grow(SALES * 2)
    services.projector.catch_up()
    headers = bearer("finance-1", "finance")

    with running_server(postgres_url, SECRET, workers=1, timeout=60) as base, \
            httpx.Client(base_url=base, timeout=300) as http:
        (pid,) = server_pids(int(base.rsplit(":", 1)[1]))
        assert http.get("/v1/ledger/entries", params={"limit": 10}, headers=headers).status_code == 200  # warm
        before = memory_kib(pid, "VmRSS")

        # Act: stream the whole ledger as CSV, sampling the server's memory meanwhile; then NDJSON; then pages.
        sampler = RssSampler(pid)
        sampler.start()
        body = io.StringIO()
        with http.stream("GET", "/v1/ledger/entries", headers={**headers, "Accept": "text/csv"}) as response:
            assert response.status_code == 200
            for chunk in response.iter_text():
                body.write(chunk)
        sampler.done.set()
        sampler.join()
        ndjson = http.get("/v1/ledger/entries", params={"format": "ndjson"}, headers=headers)
        paged = pages(http, headers)

    # Assert: every posting once, in the pages' order; NDJSON is the pages; memory stayed flat.
    rows = list(csv.DictReader(io.StringIO(body.getvalue())))
    assert len(rows) >= 200_000
    assert [(r["entry_id"], r["account"], int(r["amount"])) for r in rows] == [
        (e["entry_id"], p["account"], p["amount"]) for e in paged for p in e["postings"]]
    assert [orjson.loads(line) for line in ndjson.content.splitlines()] == paged
    grown_mib = (sampler.peak - before) / 1024
    assert len(body.getvalue()) > 2 * MARGIN_MIB * 1024 * 1024, "the export must dwarf the margin"
    print(f"server RSS {before / 1024:.1f} MiB before, +{grown_mib:.1f} MiB at most while streaming")
    assert grown_mib < MARGIN_MIB, f"server RSS grew {grown_mib:.1f} MiB while streaming"
