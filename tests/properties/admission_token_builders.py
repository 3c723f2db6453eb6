"""Shared by the admission token property tests: the pinned instant, issuer and leeway, and a keyring,
issuer and verifier built on them.

May import: anything (tests are outside the import contracts).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from api.admission.keys import AdmissionKeyring
from api.admission.tokens import AdmissionTokenError, AdmissionTokenIssuer, AdmissionTokenVerifier, TokenRejection
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
