"""Properties checked with hypothesis against a reference implementation: no I/O, CPU-bound, thousands of
examples each (`make test-properties`). Our fast token verifiers must answer what PyJWT answers
(test_hs256.py, test_admission_tokens_agree_with_pyjwt.py); our transcoder must read what eventsourcing's writes
(test_transcoder.py). Kept apart from tests/unit so that the domain's unit tests stay a few seconds.
May import: any application package and tests/support (the same no-I/O guard as tests/unit).
"""
