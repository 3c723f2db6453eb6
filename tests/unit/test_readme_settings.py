"""The README's configuration table names every setting the service reads (api/settings.py)."""

from __future__ import annotations

from pathlib import Path

from api.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_boxoffice_setting_is_documented_in_the_readme() -> None:
    text = README.read_text()
    missing = [f"BOXOFFICE_{name.upper()}" for name in Settings.model_fields
               if f"`BOXOFFICE_{name.upper()}`" not in text]
    assert missing == []
