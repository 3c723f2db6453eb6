"""Browser fixtures: a running service (its own process) and headless Chromium driven by Playwright.

Chromium is Debian's (`apt-get install chromium`, /usr/bin/chromium); Playwright's Python API
drives it through `executable_path`, never a browser it downloads. Without Chromium the browser
tests are skipped with one line, except with CI=true, where a missing browser fails the run.
Every test saves a screenshot under tests/e2e/artifacts/ (BOXOFFICE_ARTIFACTS to move it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI, SECRET
from tests.support.server import running_server

CHROMIUM = os.environ.get("BOXOFFICE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(os.environ.get("BOXOFFICE_ARTIFACTS", Path(__file__).parent / "artifacts"))
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                  "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Module-scoped on purpose: Playwright's sync API keeps an event loop running in this thread
    while it is open, and tests of other modules that call asyncio.run() must not see it."""
    if CHROMIUM is None:
        if IN_CI:
            pytest.fail("Chromium is missing in CI: .ci/run installs Debian's `chromium` package")
        pytest.skip("no Chromium here (apt-get install chromium); the browser tests need it")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if IN_CI:
            pytest.fail("playwright is missing in CI: it is in the [dev] extras")
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser) -> Iterator[object]:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """The real service (uvicorn, one worker) on a fresh SQLite store, sandbox payments, payable at once."""
    from migrations.runner import upgrade

    url = f"sqlite:///{tmp_path / 'console.db'}"
    upgrade(url)
    env = {"BOXOFFICE_ENVIRONMENT": "development", "BOXOFFICE_REFUND_WINDOW_DAYS": "0",
           "BOXOFFICE_PAYOUT_MINIMUM_MAJOR": "1", "BOXOFFICE_PAYOUT_SCHEDULE": "daily"}
    with running_server(url, SECRET, workers=1, extra_env=env) as base:
        yield base


def screenshot(page, name: str) -> Path:  # noqa: ANN001
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
