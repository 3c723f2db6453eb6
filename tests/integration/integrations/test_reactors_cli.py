"""`boxoffice reactors status`: each reactor's position and lag, and whether LiveKit is on."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.test_cli import boxoffice


def test_reactors_status_prints_each_reactors_position_and_says_livekit_is_off(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert boxoffice("migrate", database_url=url).returncode == 0

    result = boxoffice("reactors", "status", database_url=url)

    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["livekit"]["enabled"] is False
    assert (status["webhooks"]["enabled"], status["webhooks"]["lag"]) == (True, 0)
