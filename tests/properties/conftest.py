"""The property tests do no I/O either: the same guard as tests/unit (tests/support/no_io.py)."""

from __future__ import annotations

from tests.support.no_io import no_io  # noqa: F401 - the autouse guard fixture
