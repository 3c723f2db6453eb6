"""The OpenAPI document says what the API answers (found by fuzzing it with schemathesis, docs/fuzzing.md).

Every refusal is `application/problem+json`, but the document named only a 422
`HTTPValidationError` as `application/json`: a generated client, or a schema fuzzer, took
each 400, 401, 403, 404, 409 and 413 for an undocumented answer, and each CSV export too.
"""

from __future__ import annotations

import pytest

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


@pytest.fixture
def document(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200, response.text
    return response.json()


def operations(document):
    return [(f"{method.upper()} {path}", op) for path, ops in document["paths"].items() for method, op in ops.items()]


def test_every_operation_documents_its_refusals_as_problems(document):
    undocumented = [name for name, op in operations(document) if op["responses"].get("default", {}).get("content") != PROBLEM]

    assert undocumented == []


def test_a_validation_refusal_is_documented_as_a_problem_not_fastapis_error(document):
    wrong = [name for name, op in operations(document) if "422" in op["responses"]
             and op["responses"]["422"]["content"] != PROBLEM]

    assert wrong == []
    assert "HTTPValidationError" not in document["components"]["schemas"]


@pytest.mark.parametrize("path", ["/v1/ledger/accounts", "/v1/ledger/entries", "/v1/reports/revenue",
                                  "/v1/reports/period", "/v1/reconciliation", "/v1/payouts",
                                  "/v1/creators/{creator_id}/earnings"])
def test_a_list_that_also_answers_csv_documents_it(document, path):
    assert "text/csv" in document["paths"][path]["get"]["responses"]["200"]["content"]


@pytest.mark.parametrize(("method", "path"), [("post", "/v1/creators"), ("post", "/v1/creators/{creator_id}/payout-account"),
                                              ("post", "/v1/payout-runs")])
def test_a_write_that_answers_200_on_a_repeat_documents_it(document, method, path):
    assert {"200", "201"} <= document["paths"][path][method]["responses"].keys()
