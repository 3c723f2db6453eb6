"""An integrator's webhook receiver on a local port: records what arrives, answers as scripted."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Script:
    statuses: list[int] = field(default_factory=list)  # answered in turn; then 200
    received: list[Received] = field(default_factory=list)
    redirect_to: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    script: Script

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        with self.script.lock:
            self.script.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            status = self.script.statuses.pop(0) if self.script.statuses else 200
        self.send_response(status)
        if 300 <= status < 400 and self.script.redirect_to:
            self.send_header("Location", self.script.redirect_to)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


class Receiver:
    def __init__(self) -> None:
        self.script = Script()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), type("H", (_Handler,), {"script": self.script}))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str = "/hooks") -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def answer(self, *statuses: int) -> None:
        with self.script.lock:
            self.script.statuses.extend(statuses)

    @property
    def received(self) -> list[Received]:
        with self.script.lock:
            return list(self.script.received)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
