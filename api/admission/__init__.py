"""Admission tokens: how a media server lets a listener in without calling us.

A caller admitted by the admission index (projections/admission_index.py) gets a
short-lived Ed25519 JWT for one room; a media server verifies it with our JWKS
alone, and drops tokens of refunded listeners from the revocation feed.

    keys.py      the signing keyring: Ed25519 keys, kids, rotation, pruning, the JWKS (pure data)
    keystore.py  the keyring shared by every API process through one database row
                 (store/keyring_sql.py), sealed at rest (api/key_encryption.py), reloaded
                 at most every minute, rotated by compare-and-set
    tokens.py    issuing tokens, and the fast verifier that accepts only what PyJWT accepts
                 (fuzzed against it in tests/properties/test_admission_tokens_agree_with_pyjwt.py)

The caller's own bearer tokens (HS256 fast path, api/hs256.py) belong to api/auth.py, not here.

May import: domain/ (the clock), store/ (the keyring row), api/key_encryption.py; and PyNaCl, orjson.
"""
