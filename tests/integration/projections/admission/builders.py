"""What the admission tests share: arranging a room and its tickets over HTTP, asking for admission,
the expected answers, ordering a commit against the index's catch-ups, the revocation feed, tokens and presence reports.
"""

from __future__ import annotations

import base64
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from api.admission.tokens import AdmissionTokenError, AdmissionTokenVerifier, TokenRejection
from tests.api.builders import Caller, iso
from tests.conftest import bearer


MEDIA = bearer("media-server-1", "media")
POLL_SECONDS = 0.05  # BOXOFFICE_ADMISSION_POLL_SECONDS, default


def caught_up(services: Any) -> None:
    """Wait until the in-memory admission index has seen the whole log (it follows it asynchronously)."""
    index, head = services.admission_index, services.app.uow.position()
    deadline = time.monotonic() + 2
    while index.position < head:
        assert time.monotonic() < deadline, f"admission index stuck at {index.position} < {head}"
        time.sleep(0.002)


def admission(client: TestClient, room_id: str, user_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/rooms/{room_id}/admissions/{user_id}", headers=MEDIA)
    assert response.status_code == 200, response.text
    return {k: v for k, v in response.json().items() if k != "position"}


def lifecycle(client: TestClient, host: Caller, room_id: str, action: str) -> None:
    response = client.post(f"/v1/rooms/{room_id}/{action}", headers=host.headers)
    assert response.status_code == 200, response.text


def refund(client: TestClient, host: Caller, ticket_id: str) -> None:
    response = client.post(f"/v1/tickets/{ticket_id}/refund", headers=host.headers)
    assert response.status_code == 200, response.text


def admitted(role: str, ticket_id: str | None = None, *, reason: str = "ok", waiting: bool = False) -> dict[str, Any]:
    return {"admit": True, "role": role, "reason": reason, "ticket_id": ticket_id, "waiting": waiting}


def denied(reason: str, ticket_id: str | None = None) -> dict[str, Any]:
    return {"admit": False, "role": None, "reason": reason, "ticket_id": ticket_id, "waiting": False}


class TailCycles:
    """The order of commits and of an AdmissionTail's catch-up cycles, by a sequence, not a clock.

    Staleness is stated in cycles: the first catch-up that begins after a commit has applied it. Wall time
    would test the machine's load; a tail that polls every interval and reads everything committed before
    each cycle bounds staleness at one interval plus one batch by construction.
    """

    def __init__(self, tail: Any) -> None:
        self.tail = tail
        self._seq = itertools.count(1)
        self._changed = threading.Condition()
        self.commits: dict[int, int] = {}  # log position -> sequence number of its commit
        self.cycles: list[tuple[int, int]] = []  # (sequence number when the cycle began, index position after)

    def record_commit(self, position: int) -> None:
        with self._changed:
            self.commits[position] = next(self._seq)

    def catch_up(self, wrapped: Callable[[], int]) -> int:
        with self._changed:
            began = next(self._seq)
        applied = wrapped()
        with self._changed:
            self.cycles.append((began, self.tail.index.position))
            self._changed.notify_all()
        return applied

    def first_cycle_after(self, position: int, at_most: float = 10.0) -> tuple[int, int]:
        """The first cycle that began after `position` committed; waits for it (generously: this is not a timing)."""
        committed = self.commits[position]
        with self._changed:
            assert self._changed.wait_for(lambda: any(b > committed for b, _ in self.cycles), timeout=at_most), \
                f"no catch-up began within {at_most} s of the commit (is the tail running?)"
            return next(c for c in self.cycles if c[0] > committed)


@contextmanager
def tail_cycles(box: Any, tail: Any) -> Iterator[TailCycles]:
    """Record `box`'s commits and `tail`'s catch-up cycles (the tail's thread calls `self.catch_up()`)."""
    cycles = TailCycles(tail)
    wrapped = tail.catch_up
    tail.catch_up = lambda: cycles.catch_up(wrapped)
    box.uow.commit_listeners.insert(0, cycles.record_commit)
    try:
        yield cycles
    finally:
        box.uow.commit_listeners.remove(cycles.record_commit)
        del tail.catch_up


class PausingRecorder:
    """The real recorder, except that reads made by one chosen thread hold their result until released."""

    def __init__(self, recorder: Any) -> None:
        self._recorder = recorder
        self.paused_thread: threading.Thread | None = None
        self.holding = threading.Event()
        self.release = threading.Event()

    def select_notifications(self, *args: Any, **kwargs: Any) -> Any:
        found = self._recorder.select_notifications(*args, **kwargs)
        if found and threading.current_thread() is self.paused_thread:
            self.holding.set()
            self.release.wait(timeout=5)
        return found

    def max_notification_id(self) -> Any:
        return self._recorder.max_notification_id()


def revocations(client: TestClient, room_id: str, since: int, limit: int = 1000, headers: dict | None = None) -> Any:
    return client.get(f"/v1/rooms/{room_id}/revocations", params={"since": since, "limit": limit},
                    headers=headers or MEDIA)


def token_for(client: TestClient, room_id: str, caller: Caller) -> Any:
    return client.post(f"/v1/rooms/{room_id}/admission-token", headers=caller.headers)


def published_verifier(client: TestClient, clock: Any) -> AdmissionTokenVerifier:
    """What a media server builds: nothing but the public JWKS."""
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200, response.text
    return AdmissionTokenVerifier(response.json(), clock)


def rejection(verifier: AdmissionTokenVerifier, token: str, room: str | None = None) -> TokenRejection:
    with pytest.raises(AdmissionTokenError) as refused:
        verifier.verify(token, room=room)
    return refused.value.reason


def kid_of(token: str) -> str:
    header = token.split(".")[0]
    return orjson.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]


def report(client: TestClient, *events: dict[str, Any]) -> Any:
    return client.post("/v1/media/events", headers=MEDIA, json={"events": list(events)})


def presence(kind: str, room_id: str, user_id: str, session: str, at: Any) -> dict[str, Any]:
    return {"type": kind, "room_id": room_id, "user_id": user_id, "session_id": session, "at": iso(at)}
