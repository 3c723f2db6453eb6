"""The import contracts in pyproject.toml can fail: a planted upward import breaks them.

`make test` runs `lint-imports` before pytest; these tests prove the contracts have teeth.
Each copies the application packages and pyproject.toml to a temporary folder, plants one
import that a rule forbids, and runs lint-imports there: it must fail and name the import.
The unplanted copy must pass, so a failure is the planted line's and nothing else's.
Integration, not unit: it writes a copy of the code and runs a process.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def a_copy_of_the_code(tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    for package in CONFIG["root_packages"]:
        shutil.copytree(ROOT / package, copy / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def plant(copy: Path, module: str, line: str) -> None:
    with (copy / module).open("a") as source:
        source.write(f"\n{line}  # planted by tests/integration/test_import_contracts.py\n")


def lint_imports(copy: Path) -> subprocess.CompletedProcess:
    # lint-imports puts its working directory first on sys.path, so it reads the copy, not the repo.
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=copy, capture_output=True, text=True, timeout=240)


def test_the_code_as_it_is_keeps_every_contract(tmp_path: Path) -> None:
    result = lint_imports(a_copy_of_the_code(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("module", "line", "contract", "named"), [
    ("projections/ledger.py", "from api.settings import Settings",
     "Floors", "projections.ledger -> api.settings"),
    ("store/db.py", "from projections import projector",
     "Floors", "store.db -> projections.projector"),
    ("payouts/runs.py", "import integrations.reactor",
     "Floors", "payouts.runs -> integrations.reactor"),
    ("migrations/env.py", "from projections.ledger import LedgerProjection",
     "Migrations import store only", "migrations.env -> projections.ledger"),
    ("domain/money.py", "import fastapi",
     "The domain imports eventsourcing and the stdlib only", "domain.money -> fastapi"),
    ("domain/rooms/model.py", "from domain.sales import model as sales",
     "The domain's contexts", "domain.rooms.model -> domain.sales.model"),
    ("store/timecodes.py", "from store import guards_sql",  # guards_sql imports timecodes
     "No import cycles between the modules of a package", "No cycles are allowed in store."),
])
def test_a_planted_import_that_breaks_a_rule_fails_lint_imports_and_is_named(
    tmp_path: Path, module: str, line: str, contract: str, named: str
) -> None:
    copy = a_copy_of_the_code(tmp_path)
    plant(copy, module, line)

    result = lint_imports(copy)

    assert result.returncode != 0, result.stdout
    assert f"{contract} BROKEN" in result.stdout, result.stdout
    assert named in result.stdout, result.stdout
