"""Personal data protected by design: encryption at rest, keyed hashes for lookup, masking.

ID numbers, phone numbers and face encodings are sensitive personal information
(PIPL Art. 28). They are stored only as Fernet ciphertext; exact lookups go
through an HMAC-SHA256 "blind index"; every list and API response shows the
masked form. Reading the clear value is audited by the caller (accounts.audit).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


def _derive(label: str) -> bytes:
    # Embedded default only: derive from SECRET_KEY so a fresh checkout works.
    return hashlib.sha256(f"{label}:{settings.SECRET_KEY}".encode()).digest()


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    raw = settings.PII_ENCRYPTION_KEY
    keys = [k.strip() for k in raw.split(",") if k.strip()] if raw else []
    if not keys:
        keys = [base64.urlsafe_b64encode(_derive("pii-encryption")).decode()]
    try:
        # The first key encrypts; all keys decrypt (key rotation).
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError:
        raise ImproperlyConfigured(
            "PII_ENCRYPTION_KEY is not a Fernet key; make one with "
            "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'."
        ) from None


@lru_cache(maxsize=1)
def _hash_key() -> bytes:
    return settings.PII_HASH_KEY.encode() if settings.PII_HASH_KEY else _derive("pii-hash")


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured("Stored personal data cannot be decrypted: PII_ENCRYPTION_KEY changed.") from None


def encrypt_bytes(value: bytes) -> bytes:
    return _fernet().encrypt(value)


def decrypt_bytes(token: bytes) -> bytes:
    return _fernet().decrypt(bytes(token))


def blind_index(value: str) -> str:
    """Keyed hash of a normalised value, for exact lookups without storing the value."""
    normalised = value.strip().upper().replace(" ", "")
    return hmac.new(_hash_key(), normalised.encode(), hashlib.sha256).hexdigest()


def mask_id_number(value: str) -> str:
    """``330102199001011234`` → ``330102********1234``."""
    if not value:
        return ""
    if len(value) <= 10:
        return value[:2] + "*" * max(len(value) - 4, 0) + value[-2:]
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """``张三`` → ``张*``, ``欧阳娜娜`` → ``欧**娜``."""
    if len(value) <= 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


class EncryptedTextField(models.TextField):
    """A text column that holds Fernet ciphertext; Python code sees the clear value.

    Never filter on it (ciphertext is randomised): filter on the companion hash field.
    """

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))
