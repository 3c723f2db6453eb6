"""Admission for media servers, over HTTP: who may join which room as what, how fresh that answer is,
signed admission tokens, the revocation feed and the check-in log. One module per capability; the
shared arrangements in builders.py, the fixtures in conftest.py.
May import: anything (tests sit outside the import contracts of pyproject.toml).
"""
