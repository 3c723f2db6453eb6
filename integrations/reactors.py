"""The set of reactors a process runs, and what /readyz says about them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from integrations.livekit_reactor import LiveKitReactor
from integrations.reactor import LogReactor, ReactorRunner


@dataclass
class Reactors:
    livekit: LiveKitReactor | None  # None: LiveKit is off
    webhooks: LogReactor | None = None
    poll_interval: float = 0.5
    runner: ReactorRunner | None = field(default=None, init=False)

    @property
    def all(self) -> list[LogReactor]:
        return [r for r in (self.livekit, self.webhooks) if r is not None]

    def run_once(self) -> int:
        """Both halves of every reactor once (tests and the CLI drive reactors with this)."""
        return ReactorRunner(self.all).run_once()

    def poke(self) -> None:
        if self.runner is not None:
            self.runner.poke()

    def start(self) -> None:
        self.runner = ReactorRunner(self.all, self.poll_interval)
        self.runner.start()

    def stop(self) -> None:
        if self.runner is not None:
            self.runner.stop()
            self.runner = None

    def status(self) -> dict[str, Any]:
        """Per reactor: position, lag, pending and failed work, the last error; LiveKit says if it is off."""
        out: dict[str, Any] = {"livekit": {"enabled": False, "detail": "BOXOFFICE_LIVEKIT_URL, _API_KEY and"
                                                                       " _API_SECRET are not all set"}}
        for reactor in self.all:
            out[reactor.name] = {"enabled": True, **reactor.status()}
        return out
