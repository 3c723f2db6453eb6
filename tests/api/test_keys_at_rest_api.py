"""Admission-token signing keys are sealed at rest under the key-encryption key (issue 12, item 12)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.admission.keys import AdmissionKeyring
from api.key_encryption import KeyEncryption, KeyEncryptionError, is_sealed
from api.main import create_app
from tests.api.builders import a_hosted_room, a_paid_ticket, a_listener

ROOT = Path(__file__).resolve().parents[2]


def stored(services) -> str:
    return services.db.query_one("SELECT records FROM admission_keyring WHERE id = 1")["records"]


def a_token(client) -> str:
    _, room = a_hosted_room(client)
    listener = a_listener()
    a_paid_ticket(client, room["id"], listener)
    response = client.post(f"/v1/rooms/{room['id']}/admission-token", headers=listener.headers)
    assert response.status_code in (200, 201), response.text
    return response.json()["token"]


def test_the_signing_keys_are_stored_sealed_never_in_plain_text(make_services, sqlite_url):
    kek = KeyEncryption.new_key()
    services = make_services(sqlite_url, key_encryption_key=kek)
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        a_token(client)
        jwks = client.get("/.well-known/jwks.json").json()

    row = stored(services)
    assert is_sealed(row) and "private_key" not in row
    records = json.loads(KeyEncryption([kek]).open(row))
    assert [r["kid"] for r in records] == [k["kid"] for k in jwks["keys"]]
    with pytest.raises(KeyEncryptionError):
        KeyEncryption([KeyEncryption.new_key()]).open(row)


def test_keys_stored_in_plain_text_are_sealed_on_start_and_keep_signing(make_services, sqlite_url, clock):
    plain = AdmissionKeyring.generate(clock)
    kek = KeyEncryption.new_key()
    services = make_services(sqlite_url, key_encryption_key=kek)
    with services.db.transaction() as tx:
        tx.execute("INSERT INTO admission_keyring (id, records, version) VALUES (1, %s, 1)",
                   (json.dumps(plain.to_records()),))

    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        jwks = client.get("/.well-known/jwks.json").json()

    assert is_sealed(stored(services))
    assert json.loads(KeyEncryption([kek]).open(stored(services))) == plain.to_records()
    assert [k["kid"] for k in jwks["keys"]] == [plain.current.kid]


def cli(*args: str, database_url: str, kek: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "BOXOFFICE_DATABASE_URL": database_url, "BOXOFFICE_KEY_ENCRYPTION_KEY": kek,
           "BOXOFFICE_AUTH_SECRET": "cli-secret-0123456789abcdef0123456789", "BOXOFFICE_LOG_LEVEL": "WARNING"}
    return subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_the_key_encryption_key_rotates_with_the_cli(make_services, sqlite_url):
    old, new = KeyEncryption.new_key(), KeyEncryption.new_key()
    services = make_services(sqlite_url, key_encryption_key=old)
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        before = client.get("/.well-known/jwks.json").json()

    result = cli("keys", "rotate-kek", database_url=sqlite_url, kek=f"{new},{old}")

    assert result.returncode == 0, result.stderr
    row = stored(services)
    with pytest.raises(KeyEncryptionError):
        KeyEncryption([old]).open(row)
    records = json.loads(KeyEncryption([new]).open(row))
    assert [r["kid"] for r in records] == [k["kid"] for k in before["keys"]]


def test_new_kek_prints_a_usable_key(tmp_path):
    result = cli("keys", "new-kek", database_url=f"sqlite:///{tmp_path / 'x.db'}", kek=KeyEncryption.new_key())

    assert result.returncode == 0, result.stderr
    KeyEncryption([result.stdout.strip()])  # a valid Fernet key
