"""Several API worker processes on one port, each listening on a socket of its own (SO_REUSEPORT).

Why not uvicorn's own `--workers`: its supervisor binds one socket and hands it to every
worker, and a worker's event loop accepts every connection waiting when it wakes. A burst
of keep-alive connections (a load balancer's pool, a flash sale's clients) then lands
mostly on whichever worker woke first, and stays there for the connections' life:
64 connections were seen split 59/5 and 56/8 (bench/RESULTS.md, tenth session), so one
process carried the sale on its one core while the other idled, and the same benchmark
swung by half from run to run. With a listening socket per worker in one SO_REUSEPORT
group, the kernel gives each new connection to a worker by a hash of its addresses:
evenly, whatever the workers are busy with.

The supervisor starts the workers (spawned, as uvicorn does), starts a new one in place of
one that dies while serving, and stops them all on SIGINT or SIGTERM. A worker that fails
to start (its app would not load, the database was unreachable) stops the whole server
with its exit status, as uvicorn's supervisor does: a restart would fail the same way.
Where SO_REUSEPORT does not balance (it is Linux's; elsewhere it means something else or
is missing), `serve` keeps uvicorn's supervisor (`balanced_workers_supported`).
"""

from __future__ import annotations

import logging
import logging.config
import multiprocessing
import signal
import socket
import sys
import threading
from dataclasses import dataclass
from multiprocessing.process import BaseProcess

from uvicorn.config import LOGGING_CONFIG, STARTUP_FAILURE

APP = "api.asgi:app"
BACKLOG = 2048
FAILED_TO_START = frozenset({STARTUP_FAILURE, 2})  # uvicorn's startup failure; settings refused (api/settings.py)

log = logging.getLogger("uvicorn.error")
spawn = multiprocessing.get_context("spawn")


def balanced_workers_supported() -> bool:
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int, backlog: int = BACKLOG) -> socket.socket:
    """A listening TCP socket on (host, port) that joins the port's SO_REUSEPORT group."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def port_is_free(host: str, port: int) -> bool:
    """Nothing else listens on the port: bound without SO_REUSEPORT, a probe fails if anything holds it
    (a second boxoffice would otherwise join the first one's group and share its connections)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def run_worker(host: str, port: int, log_level: str) -> None:
    """One worker process: its own socket in the group, then uvicorn's server on it."""
    import uvicorn

    sock = listening_socket(host, port)
    server = uvicorn.Server(uvicorn.Config(APP, host=host, port=port, loop="auto", http="auto",
                                           log_level=log_level, access_log=False))
    server.run(sockets=[sock])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


@dataclass
class Supervisor:
    host: str
    port: int
    workers: int
    log_level: str = "info"

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._processes: list[BaseProcess] = []

    def run(self) -> int:
        """Serve until SIGINT/SIGTERM (0) or a worker fails to start (its exit status)."""
        logging.config.dictConfig(LOGGING_CONFIG)  # the supervisor's lines look like its workers' (uvicorn's)
        log.setLevel(self.log_level.upper())
        if not port_is_free(self.host, self.port):
            log.error("port %s:%d is in use", self.host, self.port)
            return 1
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self._stop.set())
        self._processes = [self._start() for _ in range(self.workers)]
        status = 0
        while not self._stop.wait(0.5):
            status = self._keep_alive()
            if status:
                break
        self._stop_all()
        return status

    def _start(self) -> BaseProcess:
        process = spawn.Process(target=run_worker, args=(self.host, self.port, self.log_level), daemon=False)
        process.start()
        log.info("started worker process [%s]", process.pid)
        return process

    def _keep_alive(self) -> int:
        """Replace each worker that died while serving; a worker that failed to start: its exit status."""
        for i, process in enumerate(self._processes):
            if self._stop.is_set():  # stopping: workers that took the same signal are not replaced
                return 0
            if process.is_alive():
                continue
            code = process.exitcode or 0
            if code in FAILED_TO_START:
                log.error("worker process [%s] exited with %s; stopping", process.pid, code)
                return code or 1
            log.warning("worker process [%s] died (exit %s); starting another", process.pid, code)
            self._processes[i] = self._start()
        return 0

    def _stop_all(self) -> None:
        for process in self._processes:
            if process.is_alive():
                process.terminate()
        for process in self._processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
