"""End to end: a running server (its own uvicorn processes) and the consoles in headless Chromium
(Debian's, driven by Playwright; skipped without it, failing with CI=true). May import: anything."""
