"""Ed25519 signing keys for admission tokens: kids, rotation, JWKS.

Why this exists: media servers admit listeners by verifying a short-lived
signed token locally (LiveKit-style), so the API needs signing keys whose
public halves are published as a JWKS. Keys rotate; a retired key stays in the
JWKS until every token it could still have signed has expired, then `prune()`
drops it.

The keyring is pure data in, pure data out (`from_records` / `to_records`):
the composition root stores the records (e.g. one database row) so that every
API worker process signs with the same current key. Nothing here touches files
or the network.

Records hold private seeds. Store them as secrets (encrypted at rest) and
never log them; `repr()` of keys and keyrings leaves them out.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict

import nacl.signing

from domain.clock import Clock, require_utc

MAX_TOKEN_TTL_SECONDS = 300
"""Hard upper bound on an admission token's lifetime (exp - iat).

Assumption: the issuer caps its TTL here and the verifier refuses longer-lived
tokens, so key retention below can be reasoned about from this one number."""

MAX_VERIFIER_LEEWAY_SECONDS = 30
"""The largest clock-skew leeway a verifier may be configured with."""

DEFAULT_RETIRED_KEY_RETENTION_SECONDS = 900
"""How long `prune()` keeps a retired key published by default.

Must cover: the longest token lifetime (300 s) + verifier leeway + how stale
any worker's copy of the keyring may be (a worker that has not reloaded the
records keeps signing with the retired key) + how long media servers cache
the JWKS. 900 s assumes workers reload records at least every ~9 minutes.
Risk if too short: valid tokens fail with `unknown_kid` on media servers."""

MIN_RETIRED_KEY_RETENTION_SECONDS = MAX_TOKEN_TTL_SECONDS + MAX_VERIFIER_LEEWAY_SECONDS
"""`prune()` refuses shorter retention: an outstanding token must still verify."""

_KID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_B64URL_RE = re.compile(r"[A-Za-z0-9_-]*")
# A canonical unpadded base64url string of length 4k+2 (4k+3) leaves 4 (2)
# unused low bits in its last character; they must be zero. These are the
# characters whose alphabet index has those bits clear.
_B64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
CANONICAL_LAST_CHAR_REM2 = frozenset(_B64URL_ALPHABET[0::16])
CANONICAL_LAST_CHAR_REM3 = frozenset(_B64URL_ALPHABET[0::4])


class KeyRecord(TypedDict):
    """One persisted key. `private_key` is the base64url (unpadded) 32-byte seed."""

    kid: str
    private_key: str
    created_at: str
    retired_at: str | None


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode_strict(text: str) -> bytes:
    """Decode unpadded, canonical base64url or raise ValueError.

    Refuses padding, characters outside the URL-safe alphabet (including
    whitespace, which the stdlib decoder silently skips), impossible lengths
    and non-zero unused trailing bits, so each byte string has exactly one
    accepted encoding.
    """
    if not isinstance(text, str) or not _B64URL_RE.fullmatch(text):
        raise ValueError("not unpadded base64url")
    remainder = len(text) & 3
    if remainder == 1:
        raise ValueError("impossible base64url length")
    if remainder == 2 and text[-1] not in CANONICAL_LAST_CHAR_REM2:
        raise ValueError("non-canonical base64url")
    if remainder == 3 and text[-1] not in CANONICAL_LAST_CHAR_REM3:
        raise ValueError("non-canonical base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) & 3))


def jwk_thumbprint(public_key: bytes) -> str:
    """RFC 7638 thumbprint of an Ed25519 public key; used as the default kid."""
    canonical = f'{{"crv":"Ed25519","kty":"OKP","x":"{b64url_encode(public_key)}"}}'
    return b64url_encode(hashlib.sha256(canonical.encode("ascii")).digest())


@dataclass(frozen=True, slots=True)
class AdmissionKey:
    """One Ed25519 key pair with its id and lifecycle timestamps."""

    kid: str
    signing_key: nacl.signing.SigningKey = field(repr=False, compare=False)
    created_at: datetime
    retired_at: datetime | None = None

    @property
    def public_key(self) -> bytes:
        return bytes(self.signing_key.verify_key)

    @property
    def is_current(self) -> bool:
        return self.retired_at is None

    def public_jwk(self) -> dict[str, str]:
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64url_encode(self.public_key),
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
        }

    def to_record(self) -> KeyRecord:
        return {
            "kid": self.kid,
            "private_key": b64url_encode(bytes(self.signing_key)),
            "created_at": self.created_at.isoformat(),
            "retired_at": self.retired_at.isoformat() if self.retired_at else None,
        }

    @classmethod
    def from_record(cls, record: Any) -> AdmissionKey:
        if not isinstance(record, dict):
            raise TypeError("key record must be a dict")
        missing = {"kid", "private_key", "created_at", "retired_at"} - record.keys()
        if missing:
            raise ValueError(f"key record lacks {sorted(missing)}")
        kid = record["kid"]
        if not isinstance(kid, str) or not _KID_RE.fullmatch(kid):
            raise ValueError("kid must be 1-64 base64url characters")
        try:
            seed = b64url_decode_strict(record["private_key"])
        except ValueError:
            raise ValueError(f"key {kid}: private_key is not base64url") from None
        if len(seed) != 32:
            raise ValueError(f"key {kid}: private_key must be a 32-byte seed")
        retired_at = record["retired_at"]
        return cls(
            kid=kid,
            signing_key=nacl.signing.SigningKey(seed),
            created_at=_parse_utc(record["created_at"], "created_at"),
            retired_at=None if retired_at is None else _parse_utc(retired_at, "retired_at"),
        )


def _parse_utc(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be an ISO 8601 string")
    return require_utc(datetime.fromisoformat(value), name)


def _new_key(clock: Clock) -> AdmissionKey:
    signing_key = nacl.signing.SigningKey.generate()
    return AdmissionKey(
        kid=jwk_thumbprint(bytes(signing_key.verify_key)),
        signing_key=signing_key,
        created_at=require_utc(clock.now()),
    )


class AdmissionKeyring:
    """The admission signing keys: exactly one current, any number retired.

    Thread-safe within a process. Across processes the records are the truth:
    rotate in ONE place (serialise it, e.g. with a row lock or a version
    compare-and-swap on the stored records), then let other workers reload
    with `from_records`. Two workers rotating concurrently from the same
    records would each mint a different "current" key.
    """

    def __init__(self, records: list[KeyRecord] | list[dict[str, Any]], *, clock: Clock) -> None:
        keys = [AdmissionKey.from_record(record) for record in records]
        self._check_keys(keys)
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: tuple[AdmissionKey, ...] = tuple(keys)

    @staticmethod
    def _check_keys(keys: list[AdmissionKey]) -> None:
        if not keys:
            raise ValueError("a keyring needs at least one key")
        kids = [key.kid for key in keys]
        if len(set(kids)) != len(kids):
            raise ValueError("duplicate kid in keyring")
        if len({key.public_key for key in keys}) != len(keys):
            raise ValueError("the same key appears under two kids")
        current = [key for key in keys if key.is_current]
        if len(current) != 1:
            raise ValueError(f"a keyring needs exactly one current key, found {len(current)}")

    @classmethod
    def generate(cls, clock: Clock) -> AdmissionKeyring:
        """A keyring holding one fresh current key."""
        return cls([_new_key(clock).to_record()], clock=clock)

    @classmethod
    def from_records(cls, records: list[KeyRecord] | list[dict[str, Any]], *, clock: Clock) -> AdmissionKeyring:
        return cls(records, clock=clock)

    def to_records(self) -> list[KeyRecord]:
        """Plain, JSON-serialisable records, oldest first (contain private seeds)."""
        return [key.to_record() for key in self._keys]

    @property
    def current(self) -> AdmissionKey:
        """The key new tokens are signed with."""
        keys = self._keys  # one atomic read; rotate() swaps the whole tuple
        for key in reversed(keys):
            if key.is_current:
                return key
        raise AssertionError("Safeguard, should never happen: keyring without a current key")

    @property
    def keys(self) -> tuple[AdmissionKey, ...]:
        return self._keys

    def rotate(self) -> AdmissionKey:
        """Make a fresh key current and retire the previous one; returns the new key.

        Caveat: the new key signs immediately. A media server holding a cached
        JWKS rejects its tokens (`unknown_kid`) until it refreshes, so media
        servers should refetch the JWKS on an unknown kid (rate-limited).
        """
        with self._lock:
            now = require_utc(self._clock.now())
            new_key = _new_key(self._clock)
            retired = tuple(
                AdmissionKey(key.kid, key.signing_key, key.created_at, now) if key.is_current else key
                for key in self._keys
            )
            self._keys = (*retired, new_key)
            return new_key

    def prune(self, retain_seconds: float = DEFAULT_RETIRED_KEY_RETENTION_SECONDS) -> list[str]:
        """Drop keys retired at least `retain_seconds` ago; returns their kids.

        Refuses a retention shorter than the longest token lifetime plus the
        largest leeway, since tokens signed just before retirement must still
        verify until they expire.
        """
        if retain_seconds < MIN_RETIRED_KEY_RETENTION_SECONDS:
            raise ValueError(
                f"retain_seconds must be at least {MIN_RETIRED_KEY_RETENTION_SECONDS} "
                "(max token lifetime + max leeway)"
            )
        with self._lock:
            now = require_utc(self._clock.now())
            kept: list[AdmissionKey] = []
            dropped: list[AdmissionKey] = []
            for key in self._keys:
                expired = key.retired_at is not None and (now - key.retired_at).total_seconds() >= retain_seconds
                (dropped if expired else kept).append(key)
            self._keys = tuple(kept)
            return [key.kid for key in dropped]

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public JWKS (RFC 7517) of every key not yet pruned."""
        return {"keys": [key.public_jwk() for key in self._keys]}

    def __repr__(self) -> str:
        return f"AdmissionKeyring(kids={[key.kid for key in self._keys]!r}, current={self.current.kid!r})"
