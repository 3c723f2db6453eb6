"""The command line as a newcomer uses it: migrate into a folder that does not exist yet, tokens, demo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jwt

ROOT = Path(__file__).resolve().parents[2]


def boxoffice(*args: str, database_url: str, secret: str = "cli-secret-0123456789abcdef0123456789") -> subprocess.CompletedProcess:
    env = {**os.environ, "BOXOFFICE_DATABASE_URL": database_url, "BOXOFFICE_AUTH_SECRET": secret,
           "BOXOFFICE_LOG_LEVEL": "WARNING"}
    return subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_migrate_creates_the_database_folder_and_is_safe_to_run_twice(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'not' / 'yet' / 'there.db'}"

    first = boxoffice("migrate", database_url=url)
    second = boxoffice("migrate", database_url=url)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    from migrations.runner import head_revision

    assert f"database at revision {head_revision(url)}" in second.stdout


def test_token_prints_a_jwt_signed_with_the_configured_secret(tmp_path: Path) -> None:
    result = boxoffice("token", "maya", "--role", "creator", "--role", "listener",
                       database_url=f"sqlite:///{tmp_path / 'x.db'}")

    claims = jwt.decode(result.stdout.strip(), "cli-secret-0123456789abcdef0123456789", algorithms=["HS256"])
    assert claims["sub"] == "maya" and claims["roles"] == ["creator", "listener"]


def test_token_refuses_an_unknown_role(tmp_path: Path) -> None:
    result = boxoffice("token", "maya", "--role", "superuser", database_url=f"sqlite:///{tmp_path / 'x.db'}")

    assert result.returncode != 0


def test_demo_tells_the_whole_story(tmp_path: Path) -> None:
    result = boxoffice("demo", database_url=f"sqlite:///{tmp_path / 'unused.db'}")

    assert result.returncode == 0, result.stderr
    for step in ("registers as a creator", "sold_out", "same ticket: True", "refunds", "not_on_sale",
                 "trial balance {'EUR': 0, 'USD': 0}", "Finance runs payouts", "0 new payouts", "clean: True"):
        assert step in result.stdout
