"""CPU per purchase inside one API process, with no HTTP client or server around it (an A/B tool).

The app of one worker (`api.main.create_app`, the real services on a throw-away PostgreSQL
database, the projector inline, the admission tail and reactors running) is driven through
ASGI directly: `CONCURRENCY` tasks buy tickets for one room as fast as the app answers.
What is left out is the HTTP server's parsing and writing, the same for every version, and
the load generator. Prints one JSON line: the process's CPU ms per purchase over the sale
(time.process_time: every thread of the process), per thread class where known, and the
statuses. Steadier than a sale's rate on a shared machine; run it alternated from each
version's source tree.

    python -m bench.purchase_cpu [--sales N]
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import httpx

from api.auth import issue_token
from api.bootstrap import build_services
from api.main import create_app
from api.settings import Settings
from bench.common import SECRET, throwaway_database

CONCURRENCY = 32


async def _sale(app: object, sales: int) -> dict[str, object]:
    # httpx only arranges the room; the purchases below skip any client.
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        creator = {"Authorization": f"Bearer {issue_token(SECRET, 'cpu-host', ['creator'])}"}
        await client.post("/v1/creators", json={"display_name": "Cpu", "follower_count": 10_000}, headers=creator)
        room = (await client.post("/v1/rooms", headers=creator, json={
            "title": "Cpu", "ticket_price": {"amount": 999, "currency": "USD"}, "capacity": sales})).json()["id"]
        tokens = [f"Bearer {issue_token(SECRET, f'fan-{i}', ['listener'])}".encode() for i in range(sales)]
        statuses: dict[int, int] = {}
        queue = iter(range(sales))
        path = f"/v1/rooms/{room}/tickets"

        async def buyer() -> None:
            for i in queue:  # one request as uvicorn hands it over: scope, receive, send
                scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                         "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
                         "query_string": b"", "headers": [(b"host", b"bench"), (b"authorization", tokens[i]),
                                                          (b"content-length", b"0")],
                         "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000)}
                sent: list[dict[str, object]] = []

                async def receive() -> dict[str, object]:
                    return {"type": "http.request", "body": b"", "more_body": False}

                async def send(message: dict[str, object]) -> None:
                    sent.append(message)

                await app(scope, receive, send)  # type: ignore[operator]
                status = int(sent[0]["status"])  # type: ignore[arg-type]
                statuses[status] = statuses.get(status, 0) + 1

        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(buyer() for _ in range(CONCURRENCY)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"sales": sales, "statuses": statuses, "cpu_ms_per_purchase": round(cpu / sales * 1000, 3),
            "wall_s": round(wall, 2)}


def main(sales: int) -> dict[str, object]:
    with throwaway_database() as url:
        services = build_services(Settings(database_url=url, auth_secret=SECRET, log_level="WARNING"))
        app = create_app(services, served=True)  # as a served worker: start-up objects frozen
        result: dict[str, object] = {}

        async def run() -> None:
            async with app.router.lifespan_context(app):
                result.update(await _sale(app, sales))

        try:
            asyncio.run(run())
        finally:
            services.close()
    return result


if __name__ == "__main__":
    n = int(sys.argv[sys.argv.index("--sales") + 1]) if "--sales" in sys.argv else 4000
    print("PURCHASE_CPU " + json.dumps(main(n)))
