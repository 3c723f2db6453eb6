"""Admission tokens: issue, verify, rotate keys, and fuzz the fast verifier against PyJWT.

The verifier replaces PyJWT on a hot path, so beyond the stories below a
differential fuzz checks, for forged, mutated and malformed tokens, that it
accepts exactly what PyJWT accepts (EdDSA only, same JWKS, issuer, leeway and
required claims), minus the deliberately stricter profile documented in
api/admission/tokens.py, and that it never raises anything but
AdmissionTokenError.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import jwt
import orjson
import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st

from api.admission.keys import (
    DEFAULT_RETIRED_KEY_RETENTION_SECONDS,
    AdmissionKeyring,
    b64url_decode_strict,
    b64url_encode,
)
from api.admission.tokens import (
    MAX_TIMESTAMP,
    MAX_TOKEN_CHARS,
    AdmissionRole,
    AdmissionTokenError,
    AdmissionTokenIssuer,
    AdmissionTokenVerifier,
    TokenRejection,
)
from domain.clock import FrozenClock

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
NOW_TS = int(NOW.timestamp())
ISSUER = "boxoffice"
LEEWAY = 5
REQUIRED_CLAIMS = ["iss", "sub", "room", "role", "grants", "jti", "iat", "nbf", "exp"]
B64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def build(clock: FrozenClock | None = None) -> tuple[FrozenClock, AdmissionKeyring, AdmissionTokenIssuer]:
    clock = clock or FrozenClock(NOW)
    keyring = AdmissionKeyring.generate(clock)
    return clock, keyring, AdmissionTokenIssuer(keyring, clock)


def verifier_for(keyring: AdmissionKeyring, clock: FrozenClock, **options: Any) -> AdmissionTokenVerifier:
    return AdmissionTokenVerifier(keyring.jwks(), clock, **options)


def rejection(verifier: AdmissionTokenVerifier, token: Any, room: str | None = None) -> TokenRejection:
    with pytest.raises(AdmissionTokenError) as caught:
        verifier.verify(token, room)
    return caught.value.reason


# --- issue and verify -------------------------------------------------------


def test_verifies_an_issued_token_and_returns_its_claims() -> None:
    clock, keyring, issuer = build()

    token, claims = issuer.issue("user-1", "room-a", "speaker", ticket_id="ticket-9")

    assert verifier_for(keyring, clock).verify(token, room="room-a") == claims
    assert claims["sub"] == "user-1" and claims["room"] == "room-a" and claims["ticket_id"] == "ticket-9"
    assert claims["grants"] == {"can_subscribe": True, "can_publish": True}
    assert claims["iss"] == ISSUER and len(claims["jti"]) == 32
    assert claims["iat"] == claims["nbf"] == NOW_TS and claims["exp"] == NOW_TS + 300
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "EdDSA", "typ": "JWT", "kid": keyring.current.kid}


@pytest.mark.parametrize(
    ("role", "can_publish"),
    [("host", True), ("cohost", True), ("speaker", True), ("listener", False)],
)
def test_grants_publishing_to_hosts_cohosts_and_speakers_only(role: str, can_publish: bool) -> None:
    _, _, issuer = build()

    _, claims = issuer.issue("user-1", "room-a", role)

    assert claims["grants"] == {"can_subscribe": True, "can_publish": can_publish}
    assert "ticket_id" not in claims


def test_refuses_to_issue_for_an_unknown_role_or_empty_identifiers() -> None:
    _, _, issuer = build()

    with pytest.raises(ValueError):
        issuer.issue("user-1", "room-a", "admin")
    with pytest.raises(ValueError):
        issuer.issue("", "room-a", AdmissionRole.LISTENER)
    with pytest.raises(ValueError):
        issuer.issue("user-1", "x" * 129, AdmissionRole.LISTENER)


def test_caps_the_token_lifetime_at_300_seconds() -> None:
    clock, keyring, _ = build()

    _, claims = AdmissionTokenIssuer(keyring, clock, ttl_seconds=3600).issue("u", "room-a", "listener")
    _, short = AdmissionTokenIssuer(keyring, clock, ttl_seconds=60).issue("u", "room-a", "listener")

    assert claims["exp"] - claims["iat"] == 300
    assert short["exp"] - short["iat"] == 60


def test_gives_each_token_a_fresh_jti() -> None:
    _, _, issuer = build()

    jtis = {issuer.issue("u", "room-a", "listener")[1]["jti"] for _ in range(50)}

    assert len(jtis) == 50


def test_rejects_a_token_301_seconds_after_issue() -> None:
    clock, keyring, issuer = build()
    token, _ = issuer.issue("user-1", "room-a", "listener")

    clock.advance(seconds=301)

    assert rejection(verifier_for(keyring, clock, leeway_seconds=0), token) == TokenRejection.EXPIRED


def test_default_leeway_accepts_a_token_until_5_seconds_past_expiry() -> None:
    clock, keyring, issuer = build()
    token, _ = issuer.issue("user-1", "room-a", "listener")
    verifier = verifier_for(keyring, clock)

    # Still inside the 5 s leeway.
    clock.advance(seconds=304)
    assert verifier.verify(token)["sub"] == "user-1"

    # exp <= now - leeway: expired, exactly as PyJWT decides.
    clock.advance(seconds=1)
    assert rejection(verifier, token) == TokenRejection.EXPIRED


def test_rejects_a_token_issued_beyond_the_leeway_in_the_future() -> None:
    issuing_clock, keyring, issuer = build(FrozenClock(NOW))
    issuing_clock.advance(seconds=6)
    token, _ = issuer.issue("user-1", "room-a", "listener")

    assert rejection(verifier_for(keyring, FrozenClock(NOW)), token) == TokenRejection.NOT_YET_VALID
    assert verifier_for(keyring, FrozenClock(NOW), leeway_seconds=6).verify(token)["sub"] == "user-1"


def test_rejects_a_token_for_another_room() -> None:
    clock, keyring, issuer = build()
    token, _ = issuer.issue("user-1", "room-a", "host")

    assert rejection(verifier_for(keyring, clock), token, room="room-b") == TokenRejection.WRONG_ROOM


def test_rejects_a_token_from_another_issuer() -> None:
    clock, keyring, _ = build()
    token, _ = AdmissionTokenIssuer(keyring, clock, issuer="elsewhere").issue("u", "room-a", "host")

    assert rejection(verifier_for(keyring, clock), token) == TokenRejection.WRONG_ISSUER


def test_rejects_a_token_signed_by_another_keyring() -> None:
    clock, keyring, _ = build()
    _, _, forger = build(clock)
    forged, _ = forger.issue("user-1", "room-a", "host")
    verifier = verifier_for(keyring, clock)

    # The forger's kid is unknown here ...
    assert rejection(verifier, forged) == TokenRejection.UNKNOWN_KID

    # ... and claiming our kid does not help: the signature does not match.
    forger_kid = jwt.get_unverified_header(forged)["kid"]
    header = b64url_encode(orjson.dumps({"alg": "EdDSA", "typ": "JWT", "kid": keyring.current.kid}))
    payload, signature = forged.split(".")[1:]
    assert forger_kid != keyring.current.kid
    assert rejection(verifier, f"{header}.{payload}.{signature}") == TokenRejection.BAD_SIGNATURE


def test_rejects_alg_none_and_hs256_keyed_with_the_public_key() -> None:
    clock, keyring, issuer = build()
    _, claims = issuer.issue("user-1", "room-a", "host")
    verifier = verifier_for(keyring, clock)
    public_key = keyring.current.public_key
    kid = keyring.current.kid

    unsigned = jwt.encode(claims, "", algorithm="none", headers={"kid": kid})
    hs256_raw = jwt.encode(claims, public_key, algorithm="HS256", headers={"kid": kid})
    hs256_x = jwt.encode(claims, b64url_encode(public_key), algorithm="HS256", headers={"kid": kid})

    assert rejection(verifier, unsigned) == TokenRejection.MALFORMED  # no 64-byte signature at all
    for token in (hs256_raw, hs256_x):
        header, payload, _ = token.split(".")
        assert rejection(verifier, token) == TokenRejection.MALFORMED  # 32-byte MAC
        padded_sig = b64url_encode(hashlib.sha512(token.encode()).digest())
        assert rejection(verifier, f"{header}.{payload}.{padded_sig}") == TokenRejection.BAD_ALG


def segment_leaving_unused_bits(value: dict[str, Any], filler: str) -> str:
    """base64url of `value`, grown by a filler field until its last character carries unused bits."""
    for size in range(4):
        segment = b64url_encode(orjson.dumps({**value, filler: "x" * size}))
        if len(segment) % 4 in (2, 3):
            return segment
    raise AssertionError("Safeguard, should never happen: four sizes cover every remainder")


@pytest.mark.parametrize("segment", [0, 1], ids=["header", "payload"])
def test_rejects_non_canonical_base64_even_under_a_valid_signature(segment: int) -> None:
    clock, keyring, issuer = build()
    _, claims = issuer.issue("user-1", "room-a", "listener")
    verifier = verifier_for(keyring, clock)
    header = {"alg": "EdDSA", "typ": "JWT", "kid": keyring.current.kid}
    parts = [segment_leaving_unused_bits(header, "x-pad"), segment_leaving_unused_bits(claims, "x-pad")]

    def signed(header_segment: str, payload_segment: str) -> str:
        signing_input = f"{header_segment}.{payload_segment}"
        return f"{signing_input}.{b64url_encode(keyring.current.signing_key.sign(signing_input.encode()).signature)}"

    # The canonical encoding verifies ...
    assert verifier.verify(signed(*parts))["sub"] == "user-1"

    # ... the same bytes with unused bits set, or padded, do not.
    last = parts[segment][-1]
    for variant in (B64URL_ALPHABET[B64URL_ALPHABET.index(last) | 1], last + "=" * (-len(parts[segment]) % 4)):
        mangled = parts.copy()
        mangled[segment] = parts[segment][:-1] + variant
        assert rejection(verifier, signed(*mangled)) == TokenRejection.MALFORMED


def test_rejects_garbage_without_raising_anything_else() -> None:
    clock, keyring, issuer = build()
    token, _ = issuer.issue("user-1", "room-a", "host")
    verifier = verifier_for(keyring, clock)

    for garbage in ["", ".", "..", token + ".", token + "\n", token + "=", "é" + token, None, 42, token.encode()]:
        assert rejection(verifier, garbage) == TokenRejection.MALFORMED
    huge = "A" * 1_000_000 + token
    assert rejection(verifier, huge) == TokenRejection.MALFORMED


# --- keys: rotation, pruning, persistence -----------------------------------


def test_tokens_signed_by_a_retired_key_verify_until_the_key_is_pruned() -> None:
    clock, keyring, issuer = build()
    old_token, _ = issuer.issue("user-1", "room-a", "listener")
    old_kid = keyring.current.kid

    # Rotate: new tokens carry the new kid, the old key stays published.
    new_key = keyring.rotate()
    new_token, _ = issuer.issue("user-2", "room-a", "listener")
    assert jwt.get_unverified_header(new_token)["kid"] == new_key.kid != old_kid
    assert [key["kid"] for key in keyring.jwks()["keys"]] == [old_kid, new_key.kid]
    assert verifier_for(keyring, clock).verify(old_token)["sub"] == "user-1"
    assert verifier_for(keyring, clock).verify(new_token)["sub"] == "user-2"

    # Pruning before the retention period has passed keeps the retired key.
    clock.advance(seconds=DEFAULT_RETIRED_KEY_RETENTION_SECONDS - 1)
    assert keyring.prune() == []

    # After it, the key leaves the JWKS and its tokens no longer verify.
    clock.advance(seconds=1)
    assert keyring.prune() == [old_kid]
    assert [key["kid"] for key in keyring.jwks()["keys"]] == [new_key.kid]
    assert rejection(verifier_for(keyring, clock), old_token) == TokenRejection.UNKNOWN_KID


def test_prune_refuses_a_retention_shorter_than_a_token_lifetime() -> None:
    _, keyring, _ = build()

    with pytest.raises(ValueError):
        keyring.prune(retain_seconds=300)


def test_keyring_records_round_trip_as_plain_json() -> None:
    clock, keyring, issuer = build()
    keyring.rotate()
    token, _ = issuer.issue("user-1", "room-a", "listener")

    records = json.loads(json.dumps(keyring.to_records()))
    reloaded = AdmissionKeyring.from_records(records, clock=clock)

    assert reloaded.to_records() == keyring.to_records()
    assert reloaded.jwks() == keyring.jwks()
    assert records[0]["retired_at"] == NOW.isoformat() and records[1]["retired_at"] is None
    assert len(b64url_decode_strict(records[0]["private_key"])) == 32
    # A second worker loading the same records signs tokens the first accepts.
    other_token, _ = AdmissionTokenIssuer(reloaded, clock).issue("user-2", "room-a", "host")
    assert verifier_for(keyring, clock).verify(other_token)["sub"] == "user-2"
    assert verifier_for(reloaded, clock).verify(token)["sub"] == "user-1"
    assert records[0]["private_key"] not in repr(keyring) + repr(keyring.keys)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda records: [],
        lambda records: [{**records[0], "retired_at": records[0]["created_at"]}],
        lambda records: [records[0], {**records[0], "kid": "other"}],
        lambda records: [records[0], {**records[0]}],
        lambda records: [{**records[0], "private_key": records[0]["private_key"] + "="}],
        lambda records: [{**records[0], "private_key": b64url_encode(b"short")}],
        lambda records: [{**records[0], "created_at": "2026-01-01T12:00:00"}],
        lambda records: [{**records[0], "kid": "has space"}],
        lambda records: [{key: value for key, value in records[0].items() if key != "retired_at"}],
    ],
)
def test_keyring_refuses_inconsistent_records(mangle: Any) -> None:
    clock, keyring, _ = build()

    with pytest.raises(ValueError):
        AdmissionKeyring.from_records(mangle(keyring.to_records()), clock=clock)


def test_jwks_round_trips_through_pyjwt() -> None:
    _, keyring, issuer = build()
    old_token, claims = issuer.issue("user-1", "room-a", "cohost")
    keyring.rotate()
    new_token, new_claims = issuer.issue("user-2", "room-a", "listener")

    jwks = json.loads(json.dumps(keyring.jwks()))
    key_set = jwt.PyJWKSet.from_dict(jwks)

    assert all(
        jwk == {"kty": "OKP", "crv": "Ed25519", "x": jwk["x"], "kid": jwk["kid"], "alg": "EdDSA", "use": "sig"}
        for jwk in jwks["keys"]
    )
    for token, expected in ((old_token, claims), (new_token, new_claims)):
        key = key_set[jwt.get_unverified_header(token)["kid"]]
        decoded = PyJWTAt(NOW_TS).decode(
            token, key, algorithms=["EdDSA"], issuer=ISSUER, options={"require": REQUIRED_CLAIMS}
        )
        assert decoded == expected


def test_verifier_refuses_a_jwks_with_foreign_keys() -> None:
    clock, keyring, _ = build()
    jwk = keyring.jwks()["keys"][0]

    for bad in (
        {"keys": [{**jwk, "kty": "RSA"}]},
        {"keys": [{**jwk, "alg": "HS256"}]},
        {"keys": [{**jwk, "x": jwk["x"][:-1]}]},
        {"keys": [jwk, jwk]},
        {"keys": [{key: value for key, value in jwk.items() if key != "kid"}]},
    ):
        with pytest.raises(ValueError):
            AdmissionTokenVerifier(bad, clock)
    with pytest.raises(TypeError):
        AdmissionTokenVerifier({}, clock)


# --- differential fuzz against PyJWT ----------------------------------------


class PyJWTAt(jwt.PyJWT):
    """PyJWT judging at a fixed instant instead of the wall clock.

    PyJWT reads datetime.now() inside _validate_claims and passes it to these
    three hooks, so pinning them lets both verifiers judge the same instant,
    exact boundaries included. test_pyjwt_oracle_judges_at_the_pinned_instant
    fails loudly if a PyJWT release renames them.
    """

    def __init__(self, now: float) -> None:
        super().__init__()
        self._pinned_now = now

    def _validate_iat(self, payload: dict[str, Any], now: float, leeway: float) -> None:
        super()._validate_iat(payload, self._pinned_now, leeway)

    def _validate_nbf(self, payload: dict[str, Any], now: float, leeway: float) -> None:
        super()._validate_nbf(payload, self._pinned_now, leeway)

    def _validate_exp(self, payload: dict[str, Any], now: float, leeway: float) -> None:
        super()._validate_exp(payload, self._pinned_now, leeway)


def seeded_record(name: str, retired: bool) -> dict[str, Any]:
    return {
        "kid": name,
        "private_key": b64url_encode(hashlib.sha256(name.encode()).digest()),
        "created_at": "2025-12-01T00:00:00+00:00",
        "retired_at": "2026-01-01T11:58:00+00:00" if retired else None,
    }


# Deterministic keys so a failing example reproduces byte for byte.
FUZZ_KEYRING = AdmissionKeyring.from_records(
    [seeded_record("retired-key", retired=True), seeded_record("current-key", retired=False)],
    clock=FrozenClock(NOW),
)
FORGER_KEYRING = AdmissionKeyring.from_records([seeded_record("forger-key", retired=False)], clock=FrozenClock(NOW))
SIGNERS = {key.kid: key.signing_key for key in (*FUZZ_KEYRING.keys, *FORGER_KEYRING.keys)}
FUZZ_VERIFIER = AdmissionTokenVerifier(FUZZ_KEYRING.jwks(), FrozenClock(NOW), issuer=ISSUER, leeway_seconds=LEEWAY)
PYJWT_KEYS = {jwk["kid"]: jwt.PyJWK(jwk) for jwk in FUZZ_KEYRING.jwks()["keys"]}
ROLES = frozenset(role.value for role in AdmissionRole)


def pyjwt_verdict(token: str, room: str | None) -> dict[str, Any] | None:
    """What a media server using PyJWT the textbook way accepts: claims, or None."""
    try:
        header = jwt.get_unverified_header(token)
        kid = header.get("kid")  # PyJWT has already refused a kid that is not a string
        key = PYJWT_KEYS.get(kid) if isinstance(kid, str) else None
        if key is None:
            return None
        claims = PyJWTAt(NOW_TS).decode(
            token, key, algorithms=["EdDSA"], issuer=ISSUER, leeway=LEEWAY, options={"require": REQUIRED_CLAIMS}
        )
    except (jwt.PyJWTError, UnicodeEncodeError):
        return None
    if room is not None and claims["room"] != room:
        return None
    return claims


def within_strict_profile(token: str, claims: dict[str, Any]) -> bool:
    """The deliberate extra strictness of the fast verifier (see api/admission/tokens.py)."""
    if len(token) > MAX_TOKEN_CHARS or "=" in token:
        return False
    header_segment, payload_segment, _ = token.split(".")
    try:
        header = orjson.loads(base64.urlsafe_b64decode(header_segment + "=" * (-len(header_segment) % 4)))
        orjson.loads(base64.urlsafe_b64decode(payload_segment + "=" * (-len(payload_segment) % 4)))
    except ValueError:
        return False
    if "crit" in header or "b64" in header or header.get("typ", "JWT") != "JWT":
        return False
    times = [claims["iat"], claims["nbf"], claims["exp"]]
    if any(type(value) is not int or not 0 <= value <= MAX_TIMESTAMP for value in times):
        return False
    grants = claims["grants"]
    return (
        claims["exp"] - claims["iat"] <= 300
        and all(type(claims[name]) is str for name in ("sub", "jti", "room"))
        and type(claims["role"]) is str
        and claims["role"] in ROLES
        and type(grants) is dict
        and type(grants.get("can_subscribe")) is bool
        and type(grants.get("can_publish")) is bool
        and type(claims.get("ticket_id", "")) is str
        and "aud" not in claims
    )


def note(outcome: str) -> None:
    if currently_in_test_context():  # shown by pytest --hypothesis-show-statistics
        event(outcome)


def fast_verdict(token: Any, room: str | None) -> dict[str, Any] | None:
    """The fast verifier's answer; any exception other than AdmissionTokenError fails the test."""
    try:
        claims = FUZZ_VERIFIER.verify(token, room)
    except AdmissionTokenError as error:
        assert isinstance(error.reason, TokenRejection)
        note(f"fast verifier: {error.reason.value}")
        return None
    note("fast verifier: accepted")
    return claims


def as_orjson_reads(value: Any) -> Any:
    """orjson turns integers outside [-2**63, 2**64) into floats; stdlib json keeps them."""
    if isinstance(value, dict):
        return {key: as_orjson_reads(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_orjson_reads(item) for item in value]
    if type(value) is int and not -(2**63) <= value < 2**64:
        return float(value)
    return value


def assert_agrees_with_pyjwt(token: str, room: str | None) -> None:
    fast = fast_verdict(token, room)
    reference = pyjwt_verdict(token, room)
    expected = reference if reference is not None and within_strict_profile(token, reference) else None
    if reference is not None and expected is None:
        note("PyJWT accepted, outside the strict profile")
    assert fast == as_orjson_reads(expected), f"fast={fast!r} pyjwt={reference!r}"


WEIRD_VALUES = [
    None, True, False, 0, 1, -1, 1.5, float(NOW_TS), float(NOW_TS + 100), str(NOW_TS + 100), "", ISSUER,
    "room-a", "listener", "admin", [], {}, ["room-a"], [ISSUER], {"can_subscribe": True, "can_publish": False},
    {"can_subscribe": 1, "can_publish": False}, {"can_subscribe": True}, NOW_TS + 100, NOW_TS - 1000,
    NOW_TS + 400, 2**53, 2**63, 2**64 + 5, 10**30, -(2**63) - 1, MAX_TIMESTAMP, MAX_TIMESTAMP + 1,
    float("nan"), float("inf"), "é\u2028", "\x00",
]  # fmt: skip
DELETE = object()
_ODD_TIMES = [
    True, False, None, 1.5, float(NOW_TS + 100), str(NOW_TS + 100), NOW_TS + 100, NOW_TS - 1000, 0, -1,
    2**63, 2**64 + 5, 10**30, MAX_TIMESTAMP, MAX_TIMESTAMP + 1, float("nan"), float("inf"), [NOW_TS], DELETE,
]  # fmt: skip
_ODD_STRINGS = [None, 1, "", [], {"a": 1}, True, "room-b", "é\u2028", DELETE]
ODD_CLAIMS: dict[str, list[Any]] = {
    "iss": ["", "Boxoffice", "boxoffice ", None, 1, [ISSUER], DELETE],
    "sub": _ODD_STRINGS,
    "jti": _ODD_STRINGS,
    "room": _ODD_STRINGS,
    "ticket_id": _ODD_STRINGS,
    "role": ["admin", "Host", "", None, 1, ["host"], DELETE],
    "grants": [
        {"can_subscribe": True}, {"can_subscribe": 1, "can_publish": False},
        {"can_subscribe": True, "can_publish": "yes"}, {"can_subscribe": True, "can_publish": None},
        {"can_subscribe": True, "can_publish": False, "can_record": True}, [], None, "all", True, DELETE,
    ],
    "iat": _ODD_TIMES,
    "nbf": _ODD_TIMES,
    "exp": _ODD_TIMES,
    "aud": ["", None, [], 0, False, "media", ["media"]],
    "x": WEIRD_VALUES,
}  # fmt: skip
HEADER_FIELDS = ["alg", "typ", "kid", "crit", "b64", "jku"]
HEADER_VALUES = [
    "EdDSA", "none", "None", "HS256", "RS256", "ES256", "eddsa", "", None, 1, "current-key", "retired-key",
    "forger-key", "JWT", "jwt", ["b64"], [], ["exp"], "b64", True, False, "https://evil.example/jwks",
]  # fmt: skip
ODD_JSON_FORMS = [
    "spaced", "bom", "utf16", "dup_first", "dup_last", "trailing_ws", "garbage", "array", "nonutf8",
    "lone_surrogate", "unicode_escape",
]  # fmt: skip
ODD_SEGMENT_FORMS = ["padded", "noncanonical_bits", "standard_alphabet", "whitespace"]
ODD_SIGNERS = ["retired-key", "forger-key", "hs256_raw", "hs256_x", "none", "random"]


def mostly(draw: st.DrawFn, usual: Any, odd: list[Any], odd_in_ten: int = 1) -> Any:
    """`usual` most of the time, otherwise one of `odd`: keeps valid tokens common enough to matter."""
    return draw(st.sampled_from(odd)) if draw(st.integers(0, 9)) < odd_in_ten else usual


def serialise(value: dict[str, Any], form: str) -> bytes:
    compact = json.dumps(value, separators=(",", ":")).encode()
    if form == "compact":
        return compact
    if form == "spaced":
        return json.dumps(value, ensure_ascii=False).encode()
    if form == "bom":
        return b"\xef\xbb\xbf" + compact
    if form == "utf16":
        return compact.decode().encode("utf-16-le")
    if form == "dup_first":
        return b'{"exp":0,"alg":"none",' + compact[1:] if compact != b"{}" else compact
    if form == "dup_last":
        return compact[:-1] + b',"exp":0,"alg":"none"}' if compact != b"{}" else compact
    if form == "trailing_ws":
        return compact + b" \n"
    if form == "garbage":
        return compact + b"x"
    if form == "array":
        return b"[" + compact + b"]"
    if form == "nonutf8":
        return compact.replace(b'":"', b'":"\xff', 1)
    if form == "lone_surrogate":
        return compact.replace(b'":"', b'":"\\ud800', 1)
    if form == "unicode_escape":
        return compact.replace(b'"room', b'"\\u0072oom').replace(b'"EdDSA', b'"\\u0045dDSA')
    raise AssertionError(form)


def encode_segment(raw: bytes, form: str) -> str:
    canonical = b64url_encode(raw)
    if form == "canonical":
        return canonical
    if form == "padded":
        return base64.urlsafe_b64encode(raw).decode()
    if form == "standard_alphabet":
        return base64.b64encode(raw).decode().rstrip("=")
    if form == "noncanonical_bits":
        if len(canonical) % 4 in (2, 3):
            return canonical[:-1] + B64URL_ALPHABET[B64URL_ALPHABET.index(canonical[-1]) | 1]
        return canonical
    if form == "whitespace":
        return canonical[: len(canonical) // 2] + "\n" + canonical[len(canonical) // 2 :]
    raise AssertionError(form)


def sign(signer: str, signing_input: bytes, random_bytes: bytes = bytes(64)) -> bytes:
    if signer in SIGNERS:
        return SIGNERS[signer].sign(signing_input).signature
    public_key = FUZZ_KEYRING.current.public_key
    if signer == "hs256_raw":
        return hmac.new(public_key, signing_input, hashlib.sha256).digest()
    if signer == "hs256_x":
        return hmac.new(b64url_encode(public_key).encode(), signing_input, hashlib.sha256).digest()
    if signer == "none":
        return b""
    return random_bytes


def edit(draw: st.DrawFn, value: dict[str, Any], odd_values: dict[str, list[Any]], max_edits: int) -> None:
    """Zero edits half the time, else a few: each sets a field to an odd value (or deletes it)."""
    for _ in range(mostly(draw, 0, list(range(1, max_edits + 1)), odd_in_ten=5)):
        name = draw(st.sampled_from(sorted(odd_values)))
        replacement = draw(st.sampled_from(mostly(draw, odd_values[name], [WEIRD_VALUES], odd_in_ten=2)))
        if replacement is DELETE:
            value.pop(name, None)
        else:
            value[name] = replacement


def valid_header(kid: str = "current-key") -> dict[str, Any]:
    return {"alg": "EdDSA", "typ": "JWT", "kid": kid}  # byte-for-byte what the issuer writes


def valid_claims(iat: int = NOW_TS - 10) -> dict[str, Any]:
    return {
        "iss": ISSUER, "sub": "user-1", "room": "room-a", "role": "listener",
        "grants": {"can_subscribe": True, "can_publish": False}, "jti": "0" * 32,
        "iat": iat, "nbf": iat, "exp": iat + 300,
    }  # fmt: skip


def signed_token(
    header: dict[str, Any],
    claims: dict[str, Any],
    signer: str = "current-key",
    json_forms: tuple[str, str] = ("compact", "compact"),
    encodings: tuple[str, str, str] = ("canonical", "canonical", "canonical"),
    random_bytes: bytes = bytes(64),
) -> str:
    """A compact JWS built by hand, so every part can be wrong in its own way."""
    header_segment = encode_segment(serialise(header, json_forms[0]), encodings[0])
    payload_segment = encode_segment(serialise(claims, json_forms[1]), encodings[1])
    signing_input = f"{header_segment}.{payload_segment}"
    signature = sign(signer, signing_input.encode(), random_bytes)
    return f"{signing_input}.{encode_segment(signature, encodings[2])}"


@st.composite
def crafted_tokens(draw: st.DrawFn) -> str:
    """Tokens built field by field: often valid, with the edits a forger or a bug might make."""
    signer = mostly(draw, "current-key", ODD_SIGNERS, odd_in_ten=3)
    header = valid_header(signer if signer in SIGNERS else "current-key")
    if signer.startswith("hs256"):
        header["alg"] = "HS256"
    if signer == "none":
        header["alg"] = "none"
    if draw(st.integers(0, 3)) == 0:  # same fields, not our byte-exact header: the slow path
        header = dict(reversed(header.items()))
    edit(draw, header, {name: [DELETE, *HEADER_VALUES] for name in HEADER_FIELDS}, 2)

    iat = NOW_TS + mostly(draw, -10, [-100_000, -310, -305, -304, -300, -6, -5, -4, 0, 4, 5, 6, 7, 1000], 4)
    claims = valid_claims(iat) | {
        "sub": mostly(draw, "user-1", ["é", "", "\u0000"]),
        "room": draw(st.sampled_from(["room-a", "room-b"])),
        "role": draw(st.sampled_from(sorted(ROLES))),
        "grants": {"can_subscribe": True, "can_publish": draw(st.booleans())},
        "nbf": iat + mostly(draw, 0, [1, -1, 5, 6, 300], 2),
        "exp": iat + mostly(draw, 300, [299, 301, 0, -1, 1, 100_000], 3),
    }
    if draw(st.booleans()):
        claims["ticket_id"] = "ticket-1"
    edit(draw, claims, ODD_CLAIMS, 3)

    return signed_token(
        header,
        claims,
        signer,
        json_forms=(mostly(draw, "compact", ODD_JSON_FORMS), mostly(draw, "compact", ODD_JSON_FORMS)),
        encodings=(
            mostly(draw, "canonical", ODD_SEGMENT_FORMS),
            mostly(draw, "canonical", ODD_SEGMENT_FORMS),
            mostly(draw, "canonical", ODD_SEGMENT_FORMS),
        ),
        random_bytes=draw(st.binary(min_size=64, max_size=64)),
    )


def test_agrees_with_pyjwt_on_every_single_odd_claim() -> None:
    for name, values in ODD_CLAIMS.items():
        for value in values:
            claims = valid_claims()
            if value is DELETE:
                claims.pop(name, None)
            else:
                claims[name] = value
            for header in (valid_header(), dict(reversed(valid_header().items()))):
                for room in (None, "room-a", "room-b"):
                    assert_agrees_with_pyjwt(signed_token(header, claims), room)


def test_agrees_with_pyjwt_on_every_single_odd_header_field() -> None:
    for name in HEADER_FIELDS:
        for value in [DELETE, *HEADER_VALUES]:
            header = valid_header()
            if value is DELETE:
                header.pop(name, None)
            else:
                header[name] = value
            for signer in ("current-key", "retired-key", "forger-key", "hs256_raw"):
                assert_agrees_with_pyjwt(signed_token(header, valid_claims(), signer), "room-a")


def test_agrees_with_pyjwt_on_every_time_boundary() -> None:
    offsets = [-100_000, -306, -305, -304, -301, -300, -299, -6, -5, -4, -1, 0, 1, 4, 5, 6, 300, 301]
    for iat in offsets:
        for nbf in offsets:
            for lifetime in (-1, 0, 1, 299, 300, 301):
                claims = valid_claims() | {"iat": NOW_TS + iat, "nbf": NOW_TS + nbf, "exp": NOW_TS + iat + lifetime}
                assert_agrees_with_pyjwt(signed_token(valid_header(), claims), "room-a")


def test_agrees_with_pyjwt_on_every_odd_encoding() -> None:
    for json_form in ["compact", *ODD_JSON_FORMS]:
        for encoding in ["canonical", *ODD_SEGMENT_FORMS]:
            for part in range(3):
                forms = (json_form if part == 0 else "compact", json_form if part == 1 else "compact")
                encodings = (
                    encoding if part == 0 else "canonical",
                    encoding if part == 1 else "canonical",
                    encoding if part == 2 else "canonical",
                )
                token = signed_token(valid_header(), valid_claims(), json_forms=forms, encodings=encodings)
                assert_agrees_with_pyjwt(token, "room-a")


def fuzz_settings(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,  # leave no .hypothesis/ directory behind
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


@fuzz_settings(700)
@given(token=crafted_tokens(), room=st.sampled_from([None, "room-a", "room-b"]))
def test_fast_verifier_accepts_exactly_what_pyjwt_accepts_for_crafted_tokens(token: str, room: str | None) -> None:
    assert_agrees_with_pyjwt(token, room)


MUTATION_CHARS = B64URL_ALPHABET + ".=+/ \n\t\x00é\u2028"


@st.composite
def mutated_tokens(draw: st.DrawFn) -> str:
    """A token (usually valid) hit by bit flips, truncation, splicing and swapped segments."""
    token = draw(crafted_tokens())
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(
                ["bitflip", "byteflip", "truncate", "drop", "insert", "extra_segment", "swap_header",
                 "swap_signature", "swap_payload", "duplicate", "blow_up"]
            )
        )  # fmt: skip
        other = draw(crafted_tokens()).split(".")
        parts = token.split(".")
        at = draw(st.integers(0, max(len(token) - 1, 0)))
        if kind == "bitflip" and token:
            token = token[:at] + chr(ord(token[at]) ^ (1 << draw(st.integers(0, 7)))) + token[at + 1 :]
        elif kind == "byteflip" and len(parts) >= 3:
            # Flip one bit of the decoded bytes and re-encode canonically: well-formed, wrongly signed.
            index = draw(st.integers(0, 2))
            try:
                raw = bytearray(b64url_decode_strict(parts[index]))
            except ValueError:
                raw = bytearray()
            if raw:
                raw[draw(st.integers(0, len(raw) - 1))] ^= 1 << draw(st.integers(0, 7))
                parts[index] = b64url_encode(bytes(raw))
                token = ".".join(parts)
        elif kind == "truncate":
            token = token[:at]
        elif kind == "drop":
            token = token[:at] + token[at + 1 :]
        elif kind == "insert":
            token = token[:at] + draw(st.sampled_from(MUTATION_CHARS)) + token[at:]
        elif kind == "extra_segment":
            token = draw(st.sampled_from([token + "." + other[-1], other[0] + "." + token, token + "."]))
        elif kind == "swap_header" and len(parts) >= 3:
            token = ".".join([other[0], *parts[1:]])
        elif kind == "swap_signature" and len(parts) >= 3 and len(other) >= 3:
            token = ".".join([*parts[:-1], other[-1]])
        elif kind == "swap_payload" and len(parts) >= 3 and len(other) >= 3:
            token = ".".join([parts[0], other[1], *parts[2:]])
        elif kind == "duplicate":
            token = token + token
        elif kind == "blow_up" and len(parts) >= 3:
            token = ".".join([parts[0], parts[1] + "A" * draw(st.sampled_from([4, 9000])), *parts[2:]])
    return token


@fuzz_settings(500)
@given(token=mutated_tokens(), room=st.sampled_from([None, "room-a"]))
def test_fast_verifier_accepts_exactly_what_pyjwt_accepts_for_mutated_tokens(token: str, room: str | None) -> None:
    assert_agrees_with_pyjwt(token, room)


@fuzz_settings(300)
@given(
    token=st.one_of(
        st.text(max_size=300),
        st.text(alphabet=B64URL_ALPHABET + ".=", max_size=400),
        st.tuples(
            st.text(alphabet=B64URL_ALPHABET, max_size=200),
            st.text(alphabet=B64URL_ALPHABET, max_size=200),
            st.text(alphabet=B64URL_ALPHABET, min_size=85, max_size=87),
        ).map(".".join),
    )
)
def test_fast_verifier_rejects_random_text_like_pyjwt(token: str) -> None:
    assert_agrees_with_pyjwt(token, None)


@fuzz_settings(100)
@given(
    token=st.one_of(
        st.binary(max_size=200),
        st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF) | st.sampled_from(B64URL_ALPHABET + ".")),
    )
)
def test_fast_verifier_never_raises_on_bytes_or_unencodable_text(token: Any) -> None:
    assert fast_verdict(token, None) is None


def test_pyjwt_oracle_judges_at_the_pinned_instant() -> None:
    # Wall-clock time is far from NOW_TS in either direction, so if PyJWT stopped
    # calling the pinned hooks one of these would flip.
    issuer = AdmissionTokenIssuer(FUZZ_KEYRING, FrozenClock(NOW))
    fresh, claims = issuer.issue("user-1", "room-a", "listener")
    issued_earlier = AdmissionTokenIssuer(FUZZ_KEYRING, FrozenClock(datetime(2025, 12, 31, tzinfo=UTC)))
    stale, _ = issued_earlier.issue("user-1", "room-a", "listener")

    assert pyjwt_verdict(fresh, "room-a") == claims == FUZZ_VERIFIER.verify(fresh, "room-a")
    assert pyjwt_verdict(stale, "room-a") is None
    assert rejection(FUZZ_VERIFIER, stale) == TokenRejection.EXPIRED
