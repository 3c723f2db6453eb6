"""Hypothesis strategies for odd admission tokens: crafted from odd claims, headers, JSON and base64
forms and signers, and mutated by bit flips, truncation and splicing; and the fuzz settings.

May import: anything (tests are outside the import contracts).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import jwt
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from api.admission.keys import b64url_decode_strict, b64url_encode
from api.admission.tokens import MAX_TIMESTAMP
from tests.properties.admission_token_builders import NOW_TS, ISSUER, B64URL_ALPHABET
from tests.properties.pyjwt_oracle import FUZZ_KEYRING, SIGNERS, ROLES


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


def fuzz_settings(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,  # leave no .hypothesis/ directory behind
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


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
