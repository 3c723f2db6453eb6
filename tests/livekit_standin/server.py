"""A local HTTP server that answers the real `livekit-api` SDK the way LiveKit's server does.

Why: LiveKit's server is a Go binary we cannot install here, yet the reactor must be
exercised through the real SDK, over HTTP, with LiveKit's auth and error shapes.

What it checks and answers, as LiveKit does:
- `POST /twirp/livekit.RoomService/<Method>` with a protobuf body
  (`application/protobuf`), decoded with LiveKit's own protocol classes.
- `Authorization: Bearer <JWT>`: verified with the SDK's `TokenVerifier` against
  this server's key and secret (issuer = key, HS256, `exp` required); the grants
  must fit the method (RemoveParticipant: `roomAdmin` for that `room`;
  DeleteRoom: `roomCreate`; ListRooms: `roomList`). Else 401 `unauthenticated`
  or 403 `permission_denied`, as Twirp JSON errors.
- A participant or room that is not there answers 404 `not_found`.

On demand: `fail_next(n, status)` answers the next n calls with a 5xx before doing
anything. `calls` records every call (method, request, outcome status).

`send_webhook` signs a `WebhookEvent` as LiveKit's server does: an AccessToken from
the SDK with the body's base64 SHA-256 in the `sha256` claim, in `Authorization`.
"""

from __future__ import annotations

import base64
import hashlib
import functools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from google.protobuf.json_format import MessageToJson
from livekit import api as lk


@dataclass
class Call:
    method: str
    request: dict[str, Any]
    status: int


@dataclass
class State:
    api_key: str
    api_secret: str
    rooms: dict[str, set[str]] = field(default_factory=dict)  # room name -> identities present
    calls: list[Call] = field(default_factory=list)
    failures_left: int = 0
    failure_status: int = 503
    lock: threading.Lock = field(default_factory=threading.Lock)


METHODS = {  # method -> (request class, response class, grant check)
    "RemoveParticipant": (lk.RoomParticipantIdentity, lk.RemoveParticipantResponse,
                          lambda g, req: bool(g.room_admin) and g.room == req.room),
    "DeleteRoom": (lk.DeleteRoomRequest, lk.DeleteRoomResponse, lambda g, req: bool(g.room_create)),
    "ListRooms": (lk.ListRoomsRequest, lk.ListRoomsResponse, lambda g, req: bool(g.room_list)),
}


class _Handler(BaseHTTPRequestHandler):
    state: State

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _error(self, status: int, code: str, msg: str) -> None:
        body = json.dumps({"code": code, "msg": msg}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        prefix = "/twirp/livekit.RoomService/"
        method = self.path[len(prefix):] if self.path.startswith(prefix) else ""
        if method not in METHODS:
            return self._error(404, "bad_route", f"no route {self.path}")
        request_cls, response_cls, allowed = METHODS[method]
        request = request_cls.FromString(body)
        status, reply = self._serve(method, request, allowed, response_cls)
        # Recorded before the answer goes out: a caller that has its answer finds its call in `calls`.
        with self.state.lock:
            self.state.calls.append(Call(method, json.loads(MessageToJson(request, preserving_proto_field_name=True)),
                                         status))
        reply()

    def _serve(self, method: str, request: Any, allowed: Any, response_cls: Any) -> tuple[int, Callable[[], None]]:
        """The call's status, and how to answer it (not sent yet)."""
        state = self.state
        auth = self.headers.get("Authorization") or ""
        try:
            claims = lk.TokenVerifier(state.api_key, state.api_secret).verify(auth.removeprefix("Bearer "))
        except Exception as exc:
            return 401, functools.partial(self._error, 401, "unauthenticated", f"invalid token: {exc}")
        if claims.video is None or not allowed(claims.video, request):
            return 403, functools.partial(self._error, 403, "permission_denied", f"grants do not allow {method}")
        with state.lock:
            if state.failures_left > 0:
                state.failures_left -= 1
                status = state.failure_status
            else:
                status = 200
            if status == 200:
                status = self._apply(method, request)
        if status == 404:
            return status, functools.partial(self._error, 404, "not_found", "requested room or participant does not exist")
        if status >= 500:
            return status, functools.partial(self._error, status, "unavailable", "the stand-in was told to fail")
        return status, functools.partial(self._ok, response_cls().SerializeToString())

    def _ok(self, payload: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/protobuf")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _apply(self, method: str, request: Any) -> int:
        rooms = self.state.rooms
        if method == "RemoveParticipant":
            present = rooms.get(request.room, set())
            if request.identity not in present:
                return 404
            present.discard(request.identity)
        elif method == "DeleteRoom":
            if request.room not in rooms:
                return 404
            del rooms[request.room]
        return 200


class LiveKitStandIn:
    def __init__(self, api_key: str = "APIstandin", api_secret: str = "standin-secret-0123456789abcdefghij") -> None:
        self.state = State(api_key, api_secret)
        handler = type("Handler", (_Handler,), {"state": self.state})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> LiveKitStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- the world inside LiveKit --------------------------------------------------

    def join(self, room: str, identity: str) -> None:
        with self.state.lock:
            self.state.rooms.setdefault(room, set()).add(identity)

    def present(self, room: str) -> set[str]:
        with self.state.lock:
            return set(self.state.rooms.get(room, set()))

    def fail_next(self, n: int, status: int = 503) -> None:
        with self.state.lock:
            self.state.failures_left, self.state.failure_status = n, status

    def calls(self, method: str | None = None) -> list[Call]:
        with self.state.lock:
            return [c for c in self.state.calls if method is None or c.method == method]


def webhook_event(kind: str, room: str, *, identity: str = "", participant_sid: str = "", event_id: str,
                  created_at: int = 0) -> Any:
    event = lk.WebhookEvent(event=kind, id=event_id, created_at=created_at,
                            room=lk.Room(name=room, sid=f"RM_{room[:8]}"))
    if identity:
        event.participant.CopyFrom(lk.ParticipantInfo(identity=identity, sid=participant_sid or f"PA_{identity}"))
    return event


def signed_webhook(event: Any, api_key: str, api_secret: str) -> tuple[str, str]:
    """(body, Authorization) as LiveKit's server sends them."""
    body = MessageToJson(event)
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    token = lk.AccessToken(api_key, api_secret).with_sha256(digest).to_jwt()
    return body, token


def send_webhook(client: Any, url: str, event: Any, api_key: str, api_secret: str) -> httpx.Response:
    body, token = signed_webhook(event, api_key, api_secret)
    return client.post(url, content=body, headers={"Authorization": token, "Content-Type": "application/webhook+json"})
