"""Admission token verifications per second on one core, all measured in the same run.

    python bench/bench_token_verify.py [--seconds 1.0] [--rounds 5]

Compares the hand-rolled AdmissionTokenVerifier (Ed25519 via PyNaCl) with
PyJWT decoding the same EdDSA tokens, PyJWT decoding HS256 tokens, and two
floors: a bare HMAC-SHA256 check and a bare PyNaCl signature check (what any
Ed25519 verifier must pay). The target (ARCHITECTURE.md) is 10,000+/s per core
for local verification. Prints a table and writes bench/out/token_verify.json.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import hmac
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import jwt

from api.admission.keys import AdmissionKeyring, b64url_decode_strict
from api.admission.tokens import AdmissionTokenIssuer, AdmissionTokenVerifier
from domain.clock import SystemClock

TARGET_PER_SECOND = 10_000
TOKENS = 2_000  # distinct tokens, cycled, so no result is cached anywhere
REQUIRED = ["iss", "sub", "room", "role", "grants", "jti", "iat", "nbf", "exp"]


def measure(check: Callable[[str], object], tokens: list[str], seconds: float, rounds: int) -> dict[str, float]:
    """Best and median verifications/s over `rounds` rounds of about `seconds` each."""
    for token in tokens[:200]:  # warm caches and lazy imports
        check(token)
    rates = []
    for _ in range(rounds):
        done, started = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds:
            for token in tokens:
                check(token)
            done += len(tokens)
        rates.append(done / elapsed)
    return {
        "per_second_best": round(max(rates)),
        "per_second_median": round(statistics.median(rates)),
        "microseconds_each_best": round(1e6 / max(rates), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one round per contender")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    clock = SystemClock()  # tokens live 300 s; the whole run takes well under a minute
    keyring = AdmissionKeyring.generate(clock)
    issuer = AdmissionTokenIssuer(keyring, clock)
    issued = [issuer.issue(f"user-{n}", "room-a", "listener", ticket_id=f"ticket-{n}") for n in range(TOKENS)]
    tokens = [token for token, _ in issued]

    fast = AdmissionTokenVerifier(keyring.jwks(), clock)
    pyjwk = jwt.PyJWK(keyring.jwks()["keys"][0])
    secret = os.urandom(32)
    hs256_tokens = [jwt.encode(claims, secret, algorithm="HS256") for _, claims in issued]
    verify_key = keyring.current.signing_key.verify_key
    split_ed25519 = [
        (token.rsplit(".", 1)[0].encode(), b64url_decode_strict(token.rsplit(".", 1)[1])) for token in tokens
    ]
    split_hs256 = [
        (token.rsplit(".", 1)[0].encode(), b64url_decode_strict(token.rsplit(".", 1)[1])) for token in hs256_tokens
    ]

    def fast_verify(token: str) -> object:
        return fast.verify(token, room="room-a")

    def pyjwt_eddsa(token: str) -> object:
        claims = jwt.decode(token, pyjwk, algorithms=["EdDSA"], issuer="boxoffice", leeway=5,
                            options={"require": REQUIRED})  # fmt: skip
        assert claims["room"] == "room-a"
        return claims

    def pyjwt_hs256(token: str) -> object:
        claims = jwt.decode(token, secret, algorithms=["HS256"], issuer="boxoffice", leeway=5,
                            options={"require": REQUIRED})  # fmt: skip
        assert claims["room"] == "room-a"
        return claims

    # The floors take pre-split (message, signature) pairs, indexed through the token list.
    ed25519_by_token = dict(zip(tokens, split_ed25519, strict=True))
    hs256_by_token = dict(zip(hs256_tokens, split_hs256, strict=True))

    def bare_ed25519(token: str) -> object:
        message, signature = ed25519_by_token[token]
        return verify_key.verify(message, signature)

    def bare_hmac_sha256(token: str) -> object:
        message, signature = hs256_by_token[token]
        return hmac.compare_digest(hmac.new(secret, message, hashlib.sha256).digest(), signature)

    contenders = [
        ("fast_verifier_eddsa", fast_verify, tokens),
        ("pyjwt_decode_eddsa", pyjwt_eddsa, tokens),
        ("pyjwt_decode_hs256", pyjwt_hs256, hs256_tokens),
        ("bare_hmac_sha256", bare_hmac_sha256, hs256_tokens),
        ("bare_pynacl_ed25519_verify", bare_ed25519, tokens),
    ]
    gc.collect()
    results = {name: measure(check, batch, args.seconds, args.rounds) for name, check, batch in contenders}

    fast_rate = results["fast_verifier_eddsa"]["per_second_best"]
    report = {
        "benchmark": "admission token verification, one core",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python bench/bench_token_verify.py", *sys.argv[1:]]),
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "cpus": os.cpu_count()},
        "python": platform.python_version(),
        "libraries": {name: version(name) for name in ("PyNaCl", "PyJWT", "cryptography", "orjson")},
        "token_chars": len(tokens[0]),
        "distinct_tokens": TOKENS,
        "seconds_per_round": args.seconds,
        "rounds": args.rounds,
        "target_per_second": TARGET_PER_SECOND,
        "fast_verifier_meets_target": fast_rate >= TARGET_PER_SECOND,
        "fast_vs_pyjwt_eddsa": round(fast_rate / results["pyjwt_decode_eddsa"]["per_second_best"], 2),
        "results": results,
    }

    print(f"{'contender':<28} {'best/s':>10} {'median/s':>10} {'us each':>9}")
    for name, result in results.items():
        print(
            f"{name:<28} {result['per_second_best']:>10,} {result['per_second_median']:>10,}"
            f" {result['microseconds_each_best']:>9}"
        )
    print(f"fast verifier vs PyJWT EdDSA: {report['fast_vs_pyjwt_eddsa']}x; target {TARGET_PER_SECOND:,}/s met: "
          f"{report['fast_verifier_meets_target']}")  # fmt: skip

    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "token_verify.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out / 'token_verify.json'}")


if __name__ == "__main__":
    main()
