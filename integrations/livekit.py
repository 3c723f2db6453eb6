"""The one module that speaks to LiveKit, through its server SDK (`livekit-api`).

Why the SDK and nothing hand-written: LiveKit's access tokens, its webhook
signatures (a JWT whose `sha256` claim covers the body) and its Twirp API all
change with LiveKit's releases; the SDK is LiveKit's own and keeps up. So this
module only decides *what* to grant and *which* call to make.

- `join_token`: a participant's access token for one room, from an admission
  decision (publish for the cast, room admin for the host, metadata naming
  the ticket, `nbf` now, a TTL of at most 10 minutes).
- `receive_webhook`: LiveKit's `WebhookReceiver` (the `Authorization` JWT signed
  with our API key and secret, and the body's SHA-256); anything else raises.
- `RoomServiceClient`: RemoveParticipant and DeleteRoom with a 10 s timeout and no
  SDK-side failover (the reactor owns retries, so every attempt is counted once).
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from livekit import api as lk

CAST_ROLES = ("host", "cohost", "speaker")


@dataclass(frozen=True)
class LiveKitConfig:
    url: str
    api_key: str
    api_secret: str
    token_ttl: timedelta = timedelta(minutes=10)


@dataclass(frozen=True)
class JoinToken:
    token: str
    expires_at: datetime
    grants: dict[str, bool]


def join_token(config: LiveKitConfig, *, user_id: str, room_id: str, role: str, ticket_id: str | None,
               waiting: bool) -> JoinToken:
    """The access token for an admitted participant. A listener waiting for the start may join
    the room but hears nothing yet (`can_subscribe` false) until it asks again after the start."""
    publish = role in CAST_ROLES
    grants = lk.VideoGrants(room_join=True, room=room_id, can_subscribe=not waiting, can_publish=publish,
                            can_publish_data=publish, room_admin=True if role == "host" else None)
    metadata = json.dumps({"role": role, "ticket_id": ticket_id, "waiting": waiting}, separators=(",", ":"))
    token = (lk.AccessToken(config.api_key, config.api_secret).with_identity(user_id).with_grants(grants)
             .with_metadata(metadata).with_ttl(config.token_ttl).to_jwt())
    # Our own answer repeats the expiry the SDK wrote (read back, not verified: we just signed it).
    exp = jwt.decode(token, options={"verify_signature": False})["exp"]
    return JoinToken(token, datetime.fromtimestamp(exp, UTC),
                     {"room_join": True, "can_subscribe": not waiting, "can_publish": publish,
                      "room_admin": role == "host"})


class InvalidWebhookError(Exception):
    """A LiveKit webhook whose signature, key or body hash does not check out."""


def receive_webhook(config: LiveKitConfig, body: bytes, authorization: str | None) -> Any:
    """The verified `WebhookEvent`, or InvalidWebhookError (nothing may be written then)."""
    if not authorization:
        raise InvalidWebhookError("no Authorization header")
    token = authorization.removeprefix("Bearer ").strip()
    try:
        text = body.decode("utf-8")
        return lk.WebhookReceiver(lk.TokenVerifier(config.api_key, config.api_secret)).receive(text, token)
    except Exception as exc:  # the SDK raises plain Exception for a hash mismatch, PyJWT errors for the token
        raise InvalidWebhookError(f"{type(exc).__name__}: {exc}") from None


class NotFoundAtLiveKit(Exception):
    """The participant or room is not there (any more): the call's purpose is met."""


class LiveKitCallError(Exception):
    """The call failed and may succeed later (transport error, 5xx, auth)."""


class RoomServiceClient:
    """RemoveParticipant / DeleteRoom through the SDK's RoomService, one event loop per batch."""

    def __init__(self, config: LiveKitConfig, timeout: float = 10.0) -> None:
        self._config = config
        self._timeout = timeout

    def run(self, calls: list[tuple[str, str, str | None]]) -> list[BaseException | None]:
        """Make each (kind, room_id, identity) call; per call None (done), NotFoundAtLiveKit or
        LiveKitCallError. Never raises for one call's failure.

        The SDK is async; its event loop runs in a thread of its own, so the caller may be
        anywhere (a reactor thread, a CLI, or a thread whose own loop is already running)."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="livekit-calls") as pool:
            return pool.submit(asyncio.run, self._run(calls)).result()

    async def _run(self, calls: list[tuple[str, str, str | None]]) -> list[BaseException | None]:
        import aiohttp

        async with lk.LiveKitAPI(self._config.url, self._config.api_key, self._config.api_secret,
                                 timeout=aiohttp.ClientTimeout(total=self._timeout), failover=False) as client:
            return [await self._one(client, *call) for call in calls]

    @staticmethod
    async def _one(client: Any, kind: str, room_id: str, identity: str | None) -> BaseException | None:
        try:
            if kind == "remove_participant":
                await client.room.remove_participant(lk.RoomParticipantIdentity(room=room_id, identity=identity or ""))
            elif kind == "delete_room":
                await client.room.delete_room(lk.DeleteRoomRequest(room=room_id))
            else:  # Safeguard, should never happen: only the reactor enqueues calls.
                return LiveKitCallError(f"unknown call {kind}")
        except lk.TwirpError as exc:
            if exc.code == lk.TwirpErrorCode.NOT_FOUND or exc.status == 404:
                return NotFoundAtLiveKit(exc.message)
            return LiveKitCallError(str(exc))
        except Exception as exc:  # transport errors and timeouts: retried by the reactor with backoff
            return LiveKitCallError(f"{type(exc).__name__}: {exc}")
        return None


def config_from(settings: Any) -> LiveKitConfig | None:
    """The LiveKit settings, or None when LiveKit is off (any of the three missing)."""
    if not settings.livekit_enabled:
        return None
    return LiveKitConfig(settings.livekit_url, settings.livekit_api_key, settings.livekit_api_secret,
                         timedelta(seconds=settings.livekit_token_ttl_seconds))
