"""A lean HTTP/1.1 load generator: keep-alive connections on asyncio (uvloop when present).

Python HTTP clients spend more CPU per request than the server under test; on
a 2-core machine that would measure the client. This one writes raw requests
and reads raw responses, so a benchmark's numbers belong to the server. It
runs in its own process (see `run_in_process`).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def encode(self, host: str) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(self.body)}"]
        lines += [f"{k}: {v}" for k, v in self.headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


@dataclass
class Result:
    status: int
    latency: float
    body: bytes
    finished_at: float


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, chunked, close = 0, False, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
        elif name == "connection" and "close" in value.lower():
            close = True
    if chunked:
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += chunk[:-2]
    else:
        body = await reader.readexactly(length)
    return status, body, close


async def _worker(host: str, port: int, queue: asyncio.Queue, results: list[Result], keep_bodies: bool) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while True:
            try:
                request = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            started = time.perf_counter()
            writer.write(request.encode(f"{host}:{port}"))
            status, body, close = await _read_response(reader)
            done = time.perf_counter()
            results.append(Result(status, done - started, body if keep_bodies else b"", done))
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


async def _run(host: str, port: int, requests: Sequence[Request], connections: int, keep_bodies: bool) -> dict[str, Any]:
    queue: asyncio.Queue = asyncio.Queue()
    for r in requests:
        queue.put_nowait(r)
    results: list[Result] = []
    started = time.perf_counter()
    await asyncio.gather(*(_worker(host, port, queue, results, keep_bodies) for _ in range(connections)))
    elapsed = time.perf_counter() - started
    return {
        "elapsed": elapsed,
        "started": started,
        "results": [(r.status, r.latency, r.body.decode("utf-8", "replace") if keep_bodies else "", r.finished_at - started)
                    for r in results],
    }


def run(host: str, port: int, requests: Sequence[Request], connections: int = 64, keep_bodies: bool = False) -> dict[str, Any]:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    return asyncio.run(_run(host, port, requests, connections, keep_bodies))


def _child(conn: Any, host: str, port: int, requests: Sequence[Request], connections: int, keep_bodies: bool) -> None:
    conn.send(json.dumps(run(host, port, requests, connections, keep_bodies)))
    conn.close()


def run_in_process(host: str, port: int, requests: Sequence[Request], connections: int = 64,
                   keep_bodies: bool = False) -> dict[str, Any]:
    """Run the load from a separate process so it does not share the caller's GIL."""
    parent, child = mp.get_context("fork").Pipe(duplex=False)
    proc = mp.get_context("fork").Process(target=_child, args=(child, host, port, requests, connections, keep_bodies))
    proc.start()
    child.close()
    data = json.loads(parent.recv())
    proc.join()
    return data


def percentile(values: Sequence[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def summarise(data: dict[str, Any]) -> dict[str, Any]:
    latencies = [lat for _, lat, _, _ in data["results"]]
    return {
        "requests": len(latencies),
        "seconds": round(data["elapsed"], 3),
        "rps": round(len(latencies) / data["elapsed"], 1) if data["elapsed"] else 0.0,
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
    }
