"""HTTP tests: the API's contract, one test per outcome, through a TestClient."""
