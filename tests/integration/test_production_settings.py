"""Production refuses to start on unsafe settings: one clear line on stderr, a non-zero exit
(issue 12, item 8). The sandbox is never chosen silently, and says so on every response."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError

from api.key_encryption import KeyEncryption
from api.settings import Settings, refusal
from tests.api.builders import a_hosted_room, a_listener, assert_problem
from tests.conftest import bearer
from tests.properties.test_hs256 import PEM_PUBLIC_KEY, SSH_PUBLIC_KEY

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "a-production-secret-of-more-than-32-bytes-0123"
KEK = KeyEncryption.new_key()
SAFE = {"BOXOFFICE_ENVIRONMENT": "production", "BOXOFFICE_AUTH_SECRET": GOOD_SECRET,
        "BOXOFFICE_STRIPE_SECRET_KEY": "sk_test_123", "BOXOFFICE_STRIPE_WEBHOOK_SECRET": "whsec_123",
        "BOXOFFICE_KEY_ENCRYPTION_KEY": KEK}


def start(tmp_path: Path, **env: str | None) -> subprocess.CompletedProcess:
    """`boxoffice token` loads the settings exactly as `serve` does, and exits at once when they are safe."""
    merged = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    merged["BOXOFFICE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'p.db'}"
    for name, value in {**SAFE, **env}.items():
        if value is not None:
            merged[name] = value
    return subprocess.run([sys.executable, "-m", "api.cli", "token", "ops", "--role", "admin"], cwd=ROOT, env=merged,
                          capture_output=True, text=True, timeout=120)


def test_safe_production_settings_start(tmp_path):
    result = start(tmp_path)

    assert result.returncode == 0, result.stderr


REFUSALS = {
    "no Stripe key": ({"BOXOFFICE_STRIPE_SECRET_KEY": None}, "BOXOFFICE_STRIPE_SECRET_KEY"),
    "an empty secret": ({"BOXOFFICE_AUTH_SECRET": ""}, "at least 32 bytes"),
    "a one-character secret": ({"BOXOFFICE_AUTH_SECRET": "x"}, "at least 32 bytes"),
    "a 31-byte secret": ({"BOXOFFICE_AUTH_SECRET": "x" * 31}, "at least 32 bytes"),
    "the development secret": ({"BOXOFFICE_AUTH_SECRET": None}, "development secret"),
    "a PEM public key as secret": ({"BOXOFFICE_AUTH_SECRET": PEM_PUBLIC_KEY}, "public key"),
    "an SSH public key as secret": ({"BOXOFFICE_AUTH_SECRET": SSH_PUBLIC_KEY}, "public key"),
    "no key-encryption key": ({"BOXOFFICE_KEY_ENCRYPTION_KEY": None}, "BOXOFFICE_KEY_ENCRYPTION_KEY"),
    "a malformed key-encryption key": ({"BOXOFFICE_KEY_ENCRYPTION_KEY": "not-a-key"}, "Fernet"),
    "self-declared eligibility": ({"BOXOFFICE_ELIGIBILITY_SOURCE": "self_declared"}, "BOXOFFICE_ELIGIBILITY_SOURCE"),
    "the Stripe gateway without a key": ({"BOXOFFICE_STRIPE_SECRET_KEY": None, "BOXOFFICE_PAYMENT_GATEWAY": "stripe"},
                                         "BOXOFFICE_STRIPE_SECRET_KEY"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_production_refuses_to_start_with_one_clear_line(tmp_path, case):
    env, named = REFUSALS[case]

    result = start(tmp_path, **env)

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("boxoffice refuses to start: ") and named in lines[0], lines[0]
    assert result.stdout == ""


def test_production_starts_on_the_sandbox_only_when_chosen_explicitly(tmp_path):
    result = start(tmp_path, BOXOFFICE_STRIPE_SECRET_KEY=None, BOXOFFICE_PAYMENT_GATEWAY="sandbox")

    assert result.returncode == 0, result.stderr


def test_a_refusal_names_the_setting_in_one_line():
    with pytest.raises(ValidationError) as caught:
        Settings(environment="production", auth_secret="short", key_encryption_key=KEK,
                 stripe_secret_key="sk_test_1", stripe_webhook_secret="whsec_1")

    line = refusal(caught.value)
    assert "\n" not in line and "BOXOFFICE_AUTH_SECRET" in line


# --- the sandbox marker -----------------------------------------------------------------------


def test_every_response_on_the_sandbox_carries_the_marker(client):
    _, room = a_hosted_room(client)
    media = bearer("media-1", "media")

    responses = {
        "healthz": client.get("/healthz"),
        "admission hot path": client.get(f"/v1/rooms/{room['id']}/admissions/bob", headers=media),
        "a refusal on the hot path": client.get(f"/v1/rooms/{room['id']}/admissions/bob"),
        "purchase": client.post(f"/v1/rooms/{room['id']}/tickets", headers=a_listener().headers),
        "a route": client.get(f"/v1/rooms/{room['id']}", headers=media),
        "not found": client.get(f"/v1/rooms/{uuid.uuid4()}", headers=media),
    }

    for name, response in responses.items():
        assert response.headers.get("x-boxoffice-sandbox", "").startswith("true"), name
    assert_problem(responses["a refusal on the hot path"], 401, "unauthenticated")


def test_production_trusts_only_signed_or_attested_eligibility_by_default():
    settings = Settings(environment="production", auth_secret=GOOD_SECRET, key_encryption_key=KEK,
                        stripe_secret_key="sk_test_1", stripe_webhook_secret="whsec_1")

    assert settings.trust_self_declared is False
    assert Settings(environment="development").trust_self_declared is True
