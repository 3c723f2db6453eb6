"""Run the real service in its own OS processes (uvicorn workers) for a test."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(database_url: str, secret: str, *, workers: int = 2, extra_env: dict[str, str] | None = None,
                   timeout: float = 30.0) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "BOXOFFICE_DATABASE_URL": database_url, "BOXOFFICE_AUTH_SECRET": secret,
           "BOXOFFICE_LOG_LEVEL": "WARNING", **(extra_env or {})}
    log = tempfile.TemporaryFile()  # a file, never a pipe nobody reads: a full pipe would stall the server
    proc = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", str(workers), "--no-migrate"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                log.seek(0)
                out = log.read().decode(errors="replace")
                raise RuntimeError(f"server exited with {proc.returncode}:\n{out[-4000:]}")
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not become ready")
            time.sleep(0.2)
        yield base
    finally:
        stop(proc)
        log.close()


@contextmanager
def projector_worker(database_url: str, extra_env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    """`boxoffice project run` as its own process (the production layout on PostgreSQL)."""
    env = {**os.environ, "BOXOFFICE_DATABASE_URL": database_url, "BOXOFFICE_LOG_LEVEL": "WARNING", **(extra_env or {})}
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "project", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        yield proc
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    """Stop a process group politely, then firmly: the leader, and whatever it left in its group
    (uvicorn's worker processes, when the server failed to become ready or exited early)."""
    _signal_group(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        _signal_group(proc.pid, signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 5
    while _signal_group(proc.pid, 0) and time.monotonic() < deadline:  # members still running
        time.sleep(0.05)
    _signal_group(proc.pid, signal.SIGKILL)


def _signal_group(pgid: int, sig: int) -> bool:
    """Signal every process of the group; False once the group has no member left."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    return True
