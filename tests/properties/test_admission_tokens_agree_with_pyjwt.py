"""Admission tokens: fuzz the fast verifier against PyJWT.

The verifier replaces PyJWT on a hot path, so a differential fuzz checks, for forged, mutated and
malformed tokens, that it accepts exactly what PyJWT accepts (EdDSA only, same JWKS, issuer, leeway and
required claims), minus the deliberately stricter profile documented in api/admission/tokens.py, and
that it never raises anything but AdmissionTokenError. The oracle is pyjwt_oracle.py; the tokens come
from crafted_tokens.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from api.admission.tokens import AdmissionTokenIssuer, TokenRejection
from domain.clock import FrozenClock
from tests.properties.admission_token_builders import NOW, NOW_TS, B64URL_ALPHABET, rejection
from tests.properties.pyjwt_oracle import (
    FUZZ_KEYRING,
    FUZZ_VERIFIER,
    pyjwt_verdict,
    fast_verdict,
    assert_agrees_with_pyjwt,
)
from tests.properties.crafted_tokens import (
    DELETE,
    ODD_CLAIMS,
    HEADER_FIELDS,
    HEADER_VALUES,
    ODD_JSON_FORMS,
    ODD_SEGMENT_FORMS,
    valid_header,
    valid_claims,
    signed_token,
    crafted_tokens,
    fuzz_settings,
    mutated_tokens,
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


@fuzz_settings(700)
@given(token=crafted_tokens(), room=st.sampled_from([None, "room-a", "room-b"]))
def test_fast_verifier_accepts_exactly_what_pyjwt_accepts_for_crafted_tokens(token: str, room: str | None) -> None:
    assert_agrees_with_pyjwt(token, room)


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
