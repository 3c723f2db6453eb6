"""`boxoffice serve --workers N` (api/serving.py): a listening socket per worker, connections spread evenly.

Under uvicorn's own supervisor one shared socket let a burst of keep-alive connections land
on one worker (64 of 64 seen here). Each worker now listens on a socket of its own in one
SO_REUSEPORT group, and the kernel spreads new connections across them. Linux only: the
sockets are found in /proc.
"""

from __future__ import annotations

import collections
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.server import ROOT, free_port, running_server, stop

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SO_REUSEPORT balancing is Linux's")]
SECRET = "serve-workers-test-secret-0123456789abcdef"


def _sockets(port: int) -> dict[str, str]:
    """inode -> TCP state ('0A' listening, '01' established) of the local sockets on `port`."""
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in open(table).readlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                found[fields[9]] = fields[3]
    return found


def _holders(port: int, state: str) -> collections.Counter[int]:
    """pid -> how many of the port's sockets in `state` it holds."""
    inodes = {inode for inode, s in _sockets(port).items() if s == state}
    held: collections.Counter[int] = collections.Counter()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    held[int(pid)] += 1
        except OSError:
            continue
    return held


@pytest.fixture
def server(postgres_url: str) -> Iterator[tuple[str, int]]:
    with running_server(postgres_url, SECRET, workers=2) as base:
        yield base, int(base.rsplit(":", 1)[1])


def test_each_worker_listens_on_a_socket_of_its_own(server: tuple[str, int]) -> None:
    _, port = server
    listeners = _holders(port, "0A")
    assert sorted(listeners.values()) == [1, 1]  # two workers, one socket each


def test_a_burst_of_keep_alive_connections_is_spread_over_the_workers(server: tuple[str, int]) -> None:
    _, port = server
    connections = [socket.create_connection(("127.0.0.1", port)) for _ in range(64)]
    try:
        for c in connections:
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        for c in connections:
            assert c.recv(4096).startswith(b"HTTP/1.1 200")
        per_worker = _holders(port, "01")
        per_worker = collections.Counter({pid: n for pid, n in per_worker.items() if pid != os.getpid()})
    finally:
        for c in connections:
            c.close()
    # Binomial(64, 1/2): outside 16..48 once in 25,000 runs. uvicorn's shared socket gave 64/0 in one of three.
    assert sum(per_worker.values()) == 64
    assert len(per_worker) == 2 and min(per_worker.values()) >= 16, per_worker


def test_a_worker_that_dies_is_replaced_and_the_server_keeps_answering(server: tuple[str, int]) -> None:
    base, port = server
    first = set(_holders(port, "0A"))
    victim = min(first)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = set(_holders(port, "0A"))
        if len(now) == 2 and victim not in now:
            break
        time.sleep(0.2)
    assert len(now) == 2 and victim not in now and (now & first) == first - {victim}
    with httpx.Client(base_url=base) as client:  # new connections: each lands on a live worker's socket
        assert all(client.get("/healthz", headers={"Connection": "close"}).status_code == 200 for _ in range(20))


def test_the_supervisor_stopped_alone_stops_every_worker(postgres_url: str) -> None:
    port = free_port()
    env = {**os.environ, "BOXOFFICE_DATABASE_URL": postgres_url, "BOXOFFICE_AUTH_SECRET": SECRET,
           "BOXOFFICE_LOG_LEVEL": "WARNING"}
    supervisor = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", "2",
                                   "--no-migrate"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(workers := set(_holders(port, "0A"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(workers) == 2 and supervisor.pid not in workers
        supervisor.send_signal(signal.SIGTERM)  # the supervisor only, not its process group
        assert supervisor.wait(timeout=60) == 0
        assert not any(os.path.exists(f"/proc/{pid}") for pid in workers)
    finally:
        stop(supervisor)


def test_a_port_that_something_else_listens_on_is_refused(postgres_url: str) -> None:
    with socket.socket() as other:  # another program's listener, without SO_REUSEPORT
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        env = {**os.environ, "BOXOFFICE_DATABASE_URL": postgres_url, "BOXOFFICE_AUTH_SECRET": SECRET}
        result = subprocess.run([sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", "2",
                                 "--no-migrate"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"port 127.0.0.1:{port} is in use" in result.stderr
