"""The OpenAPI document says what the API answers: every refusal is an RFC 9457 problem.

FastAPI documents a 422 `HTTPValidationError` as `application/json` and nothing else, while
every refusal here is `application/problem+json` (api/problems.py) with any of the statuses
the README lists (400, 401, 402, 403, 404, 409, 413, 422, 503). A client generated from the
document, or a schema fuzzer (docs/fuzzing.md), took each of them for an undocumented answer.
So each operation's 422 becomes a `Problem`, and a `default` response names the rest; the
routes that also answer CSV or NDJSON say so themselves (`EXPORTS`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

PROBLEM_JSON = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem document; `type` is a stable code (see the README).",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "examples": ["validation", "not_found", "sold_out"]},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "correlation_id": {"type": "string"},
    },
    "additionalProperties": True,  # a refusal may name its `rule`, `errors`, `ticket_id` ...
}
PROBLEM_CONTENT = {PROBLEM_JSON: {"schema": PROBLEM_REF}}

# For a route decorator's `responses=`: its 200 is also CSV (`Accept: text/csv`), or NDJSON.
TEXT = {"schema": {"type": "string"}}
EXPORTS: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": TEXT}}}
STREAMS: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": TEXT, "application/x-ndjson": TEXT}}}


def with_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """The document with every operation's refusals described as problems (changed in place)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = {"description": "Invalid request (a `validation` problem, or one named "
                                                   "for the field: `invalid_price`, `invalid_capacity` ...)",
                                    "content": PROBLEM_CONTENT}
            responses.setdefault("default", {"description": "A refusal: an RFC 9457 problem", "content": PROBLEM_CONTENT})
    return schema


def install(app: FastAPI) -> None:
    """Serve the document with problems from `/openapi.json` (built once, on first use)."""
    build: Callable[[], dict[str, Any]] = app.openapi
    built: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        if not built:
            built.append(with_problems(build()))
        return built[0]

    app.openapi = openapi  # type: ignore[method-assign]
