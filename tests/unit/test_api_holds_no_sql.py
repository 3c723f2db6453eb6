"""The API floor parses, calls one command or query, and presents: every SQL statement lives in
store/ or projections/queries/ (issue 13). A string constant in api/ that reads like SQL fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

API = Path(__file__).resolve().parents[2] / "api"
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX))\b",
                 re.IGNORECASE | re.DOTALL)


def sql_literals(source: str) -> list[str]:
    """String constants (docstrings aside) that read like SQL statements."""
    tree = ast.parse(source)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
            and SQL.search(node.value)]


def test_no_module_of_the_api_holds_a_sql_statement() -> None:
    found = {str(path.relative_to(API.parent)): sql_literals(path.read_text())
             for path in sorted(API.rglob("*.py"))}

    assert {path: literals for path, literals in found.items() if literals} == {}


def test_the_check_sees_a_statement_planted_in_a_router() -> None:
    planted = 'def route(db):\n    """Reads rooms."""\n    return db.query("SELECT * FROM rooms_view WHERE id = %s", (1,))\n'

    assert sql_literals(planted) == ["SELECT * FROM rooms_view WHERE id = %s"]
