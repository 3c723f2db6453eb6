"""The HS256 fast path may only accept what PyJWT accepts, with the same claims."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from api.auth import TokenVerifier, issue_token
from api.hs256 import CANONICAL_HEADERS, FastHS256
from api.settings import Settings

SECRET = "fast-path-secret-of-at-least-32-bytes"
NOW = time.time()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(header: str, payload: str, key: str = SECRET) -> str:
    mac = hmac.new(key.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(mac)}"


def pyjwt_claims(token: str, issuer: str | None, audience: str | None, key: str = SECRET) -> dict | None:
    try:
        return jwt.decode(token, key, algorithms=["HS256"], issuer=issuer, audience=audience,
                          options={"require": ["sub", "exp"], "verify_aud": audience is not None})
    except jwt.PyJWTError:
        return None


# `future` is days ahead: NOW is read when the module is collected, and a whole suite on a loaded
# machine can take longer than minutes before this test runs.
past, future = st.integers(int(NOW) - 10_000, int(NOW) - 60), st.integers(int(NOW) + 86_400, int(NOW) + 864_000)
odd_values = st.one_of(
    st.floats(NOW - 10_000, NOW + 10_000), st.booleans(), st.none(), st.text(max_size=5),
    st.integers(-(2**70), 2**70), st.just(str(int(NOW) + 100)), st.lists(st.integers(), max_size=1),
    st.sampled_from(["issuer", "other", "aud", "", " "]), st.lists(st.sampled_from(["aud", "x"]), max_size=2),
)
# Mostly well-formed claims (so that acceptance is exercised), then one or two made odd.
good_claims = st.fixed_dictionaries(
    {"sub": st.text(min_size=1, max_size=8).filter(str.strip), "exp": future},
    optional={
        "roles": st.lists(st.sampled_from(["listener", "media", "admin", "nope"]), max_size=3),
        "iat": past, "nbf": past, "iss": st.just("issuer"), "jti": st.text(max_size=4),
        "aud": st.one_of(st.just("aud"), st.lists(st.sampled_from(["aud", "x"]), min_size=1, max_size=2)),
    },
)


@st.composite
def claim_values(draw: st.DrawFn) -> dict:
    claims = draw(good_claims)
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        name = draw(st.sampled_from(["sub", "roles", "iat", "nbf", "exp", "iss", "aud", "jti"]))
        if draw(st.booleans()) and name in claims:
            del claims[name]
        else:
            claims[name] = draw(st.one_of(odd_values, past, future))
    return claims


headers = st.one_of(
    st.sampled_from(sorted(CANONICAL_HEADERS)),
    st.sampled_from([{"alg": "none"}, {"alg": "HS384", "typ": "JWT"}, {"alg": "HS256", "typ": "JWT", "kid": 1},
                     {"alg": "hs256"}, {"alg": "HS256", "crit": ["x"]}, []]).map(
        lambda h: b64(json.dumps(h).encode())),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=.+/", max_size=40),
)


@st.composite
def tokens(draw: st.DrawFn) -> str:
    header = draw(st.sampled_from(sorted(CANONICAL_HEADERS))) if draw(st.booleans()) else draw(headers)
    raw = draw(st.one_of(claim_values().map(lambda c: json.dumps(c).encode()), st.binary(max_size=40),
                         st.just(b"[1,2]"), st.just(b'{"sub":"a","sub":1}')))
    payload = b64(raw)
    if draw(st.integers(0, 3)) == 0:
        payload += draw(st.sampled_from(["=", "==", "A", "*", ".", "+"]))
    if draw(st.integers(0, 4)) == 0:
        payload = non_canonical(payload)
    token = sign(header, payload, draw(st.sampled_from([SECRET, SECRET, SECRET, "wrong-secret", ""])))
    mutation = draw(st.integers(0, 9))
    if mutation == 1 and len(token) > 2:  # flip one character anywhere
        i = draw(st.integers(0, len(token) - 1))
        token = token[:i] + draw(st.sampled_from("Aa0-_.=")) + token[i + 1:]
    elif mutation == 2:
        token = token + draw(st.sampled_from(["=", ".", ".x", "A"]))
    elif mutation == 3:
        token = token.rsplit(".", 1)[0] + "."
    elif mutation == 4:  # one non-ASCII character (a header byte decoded as latin-1), signed or not
        i = draw(st.integers(0, len(token)))
        token = token[:i] + draw(st.sampled_from(["\u00e9", "\u00ff", "\u00b2", "\x80"])) + token[i:]
        if draw(st.booleans()) and token.count(".") == 2:
            token = sign(*token.split(".")[:2])
    return token


def non_canonical(segment: str) -> str:
    """The same bytes under Python's lenient decoder, with the unused trailing bits set."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    if len(segment) % 4 in (2, 3) and segment[-1] in alphabet:
        spare = 0b1111 if len(segment) % 4 == 2 else 0b11
        value = alphabet.index(segment[-1])
        if value & spare == 0:
            return segment[:-1] + alphabet[value | 1]
    return segment


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(token=tokens(), issuer=st.sampled_from([None, "issuer"]), audience=st.sampled_from([None, "aud"]))
def test_fast_path_never_accepts_what_pyjwt_rejects(token: str, issuer: str | None, audience: str | None) -> None:
    fast = FastHS256(SECRET, issuer, audience).accept(token)
    if fast is not None:
        assert pyjwt_claims(token, issuer, audience) == fast
    event("fast path accepted" if fast is not None else "left to PyJWT")


@settings(max_examples=500, deadline=None)
@given(claims=good_claims, header=st.sampled_from(sorted(CANONICAL_HEADERS)))
def test_well_formed_valid_tokens_all_take_the_fast_path(claims: dict, header: str) -> None:
    token = sign(header, b64(json.dumps(claims).encode()))
    assert FastHS256(SECRET).accept(token) == pyjwt_claims(token, None, None) == claims


def test_our_own_tokens_take_the_fast_path_with_pyjwts_claims() -> None:
    token = issue_token(SECRET, "listener-1", ["listener"], ttl_seconds=600)
    fast = FastHS256(SECRET).accept(token)
    assert fast is not None and fast == pyjwt_claims(token, None, None)
    assert fast["sub"] == "listener-1"


@pytest.mark.parametrize("token", [
    issue_token(SECRET, "u", ["listener"], ttl_seconds=-5),  # expired
    issue_token("another-secret", "u", ["listener"]),  # forged
    issue_token(SECRET, "u", ["listener"], now=NOW + 3600),  # issued in the future
    jwt.encode({"sub": "u"}, SECRET, algorithm="HS384"),
    jwt.encode({"roles": ["admin"]}, SECRET, algorithm="HS256"),  # no subject
    "not-a-token", "", "a.b", "a.b.c.d",
], ids=["expired", "forged", "issued_in_the_future", "hs384", "no_subject", "not_a_token", "empty", "two_parts",
        "four_parts"])  # named, not by value: the tokens carry the clock, and every collection must name the same tests
def test_bad_tokens_are_left_to_pyjwt(token: str) -> None:
    assert FastHS256(SECRET).accept(token) is None


def test_issuer_and_audience_are_enforced_on_the_fast_path() -> None:
    good = jwt.encode({"sub": "u", "iss": "issuer", "aud": ["x", "aud"], "exp": int(NOW) + 10**6}, SECRET,
                      algorithm="HS256")
    assert FastHS256(SECRET, "issuer", "aud").accept(good) is not None
    assert FastHS256(SECRET, "other", "aud").accept(good) is None
    assert FastHS256(SECRET, "issuer", "nope").accept(good) is None


def test_the_verifier_answers_the_same_either_way() -> None:
    verifier = TokenVerifier(Settings(auth_secret=SECRET))
    token = issue_token(SECRET, "listener-9", ["listener", "media"])
    assert verifier._fast is not None and verifier._fast.accept(token) is not None
    principal, expires = verifier._verify(token)
    verifier._fast = None  # PyJWT alone
    assert verifier._verify(token) == (principal, expires)


def test_a_token_without_exp_is_refused_by_both() -> None:
    token = sign(sorted(CANONICAL_HEADERS)[0], b64(json.dumps({"sub": "u", "roles": []}).encode()))
    assert FastHS256(SECRET).accept(token) is None
    assert pyjwt_claims(token, None, None) is None


def test_a_non_canonical_payload_is_refused_by_both() -> None:
    payload = b64(json.dumps({"sub": "u", "exp": int(NOW) + 10**6}).encode())
    assert len(payload) % 4 in (2, 3), "the claims must leave spare bits"
    token = sign(sorted(CANONICAL_HEADERS)[0], non_canonical(payload))
    assert non_canonical(payload) != payload
    assert FastHS256(SECRET).accept(token) is None
    assert pyjwt_claims(token, None, None) is None


@pytest.mark.parametrize("character", ["\u00e9", "\u00ff", "\x80"])
def test_a_non_ascii_token_is_refused_without_raising(character: str) -> None:
    good = issue_token(SECRET, "u", ["listener"])
    for token in (good + character, character + good, sign(*(good[:10] + character + good[10:]).split(".")[:2])):
        assert FastHS256(SECRET).accept(token) is None
        assert pyjwt_claims(token, None, None) is None


PEM_PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=
-----END PUBLIC KEY-----
"""
SSH_PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBm/RAlphM3+hUG6wWfcO5bIUIaqMLa2ywxcOK1wMWbh idp@example"


@pytest.mark.parametrize("public_key", [PEM_PUBLIC_KEY, SSH_PUBLIC_KEY])
def test_a_public_key_used_as_the_hmac_secret_accepts_nothing(public_key: str) -> None:
    """Key confusion: whoever holds the identity provider's public key could sign admin tokens."""
    forged = sign(sorted(CANONICAL_HEADERS)[0], b64(json.dumps({"sub": "x", "roles": ["admin"],
                                                                 "exp": int(NOW) + 10**6}).encode()), key=public_key)
    assert FastHS256(public_key).accept(forged) is None
    assert pyjwt_claims(forged, None, None, key=public_key) is None
