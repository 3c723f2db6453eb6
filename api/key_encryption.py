"""Admission signing keys are encrypted at rest with a key-encryption key (KEK).

Anyone holding a database backup could otherwise mint admission tokens. The
keyring's records are sealed with `cryptography`'s Fernet (AES-128-CBC with
HMAC-SHA256, a timestamped, authenticated token format) under
`BOXOFFICE_KEY_ENCRYPTION_KEY`: one or more Fernet keys, comma-separated, the
first one current. `MultiFernet` opens a record sealed under any of them and
`rotate` re-seals it under the first, which is how the KEK is rotated:

    BOXOFFICE_KEY_ENCRYPTION_KEY="<new>,<old>" boxoffice keys rotate-kek
    # then drop <old> from the setting

Production requires the setting. Development and tests use DEV_KEY_ENCRYPTION_KEY,
derived from a public label: it keeps the format and the code path the same
but protects nothing.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

DEV_KEY_ENCRYPTION_KEY = base64.urlsafe_b64encode(
    hashlib.sha256(b"boxoffice DEVELOPMENT key-encryption key: protects nothing").digest()).decode()


class KeyEncryptionError(Exception):
    """A sealed record does not open under any configured key-encryption key."""


def parse_keys(setting: str) -> list[str]:
    """The comma-separated Fernet keys of the setting, current first; ValueError if one is malformed."""
    keys = [part.strip() for part in setting.split(",") if part.strip()]
    if not keys:
        raise ValueError("no key given")
    for key in keys:
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ValueError("each key must be a Fernet key: 32 bytes in url-safe base64 "
                             "(make one with `boxoffice keys new-kek`)") from None
    return keys


def is_sealed(stored: str) -> bool:
    """A Fernet token, not the plaintext JSON list of records written before encryption at rest."""
    return not stored.lstrip().startswith("[")


class KeyEncryption:
    def __init__(self, keys: list[str]) -> None:
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except InvalidToken:
            raise KeyEncryptionError("the admission signing keys do not open under BOXOFFICE_KEY_ENCRYPTION_KEY; "
                                     "keep the key they were sealed with in the setting (after the new one)") from None

    def reseal(self, sealed: str) -> str:
        """The same plaintext sealed under the current (first) key."""
        try:
            return self._fernet.rotate(sealed.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise KeyEncryptionError("the admission signing keys do not open under BOXOFFICE_KEY_ENCRYPTION_KEY") from None

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode("ascii")
