"""Encrypted model fields: secrets are Fernet-encrypted at rest with rotating keys."""
import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from .redaction import secret_remember


@lru_cache(maxsize=8)
def _fernet_for(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        # Only reachable outside production (production settings refuse empty keys): derive a stable
        # key from SECRET_KEY so the demo works without configuration.
        keys = (base64.urlsafe_b64encode(hashlib.sha256(secret_key.encode()).digest()).decode(),)
    try:
        return MultiFernet([Fernet(key.strip().encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be url-safe base64 Fernet keys.") from exc


def fernet() -> MultiFernet:
    return _fernet_for(tuple(settings.FIELD_ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return _decrypt_cached(token, tuple(settings.FIELD_ENCRYPTION_KEYS), settings.SECRET_KEY)


@lru_cache(maxsize=1024)
def _decrypt_cached(token: str, keys: tuple[str, ...], secret_key: str) -> str:
    # Every read of a store decrypts the same few ciphertexts again (each webhook, each client built):
    # a ciphertext always decrypts to the same plaintext under the same keys, so the answer is keyed on
    # both. Failures raise and are not cached.
    try:
        return _fernet_for(keys, secret_key).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured("A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS.") from exc


class EncryptedTextField(models.TextField):
    """A text column whose value is encrypted on write and decrypted on read; empty stays empty.

    Every value passing through is a secret by definition, so the process remembers it for scrubbing
    (storefront.redaction) the moment it holds it in plain text.
    """

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        plain = decrypt(value)
        secret_remember(plain)
        return plain

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        secret_remember(value)
        return encrypt(value)
