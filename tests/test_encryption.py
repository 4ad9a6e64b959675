"""Secrets are encrypted at rest, and keys rotate: the first key encrypts, every key decrypts."""
import logging

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from storefront.fields import decrypt, encrypt
from storefront.models import Store
from storefront.redaction import RedactingFilter, redact, redact_data
from tests.factories import StoreFactory


@pytest.mark.django_db
def test_access_token_is_stored_encrypted_and_read_back_in_clear():
    store = StoreFactory(access_token="bc-token-1234567890")
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token FROM storefront_store WHERE id = %s", [store.pk])
        raw = cursor.fetchone()[0]
    assert "bc-token-1234567890" not in raw
    assert Store.objects.get(pk=store.pk).access_token == "bc-token-1234567890"


def test_rotated_keys_still_decrypt_values_written_with_the_old_key(settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    token = encrypt("secret-value")
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    assert decrypt(token) == "secret-value"
    assert Fernet(new_key.encode()).decrypt(encrypt("fresh").encode()) == b"fresh"


def test_redaction_keeps_only_the_last_four_characters():
    assert redact("abcdefghijkl") == "••••ijkl"
    assert redact("short") == "••••"
    assert redact_data({"client_secret": "abcdefghijkl", "nested": [{"token": "zzzzzzzz1234"}], "x": 1}) == {
        "client_secret": "••••ijkl", "nested": [{"token": "••••1234"}], "x": 1,
    }


def test_log_filter_scrubs_bearer_tokens_and_jwts():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "sent Bearer %s and %s", (
        "abc.def.ghi-secret-token", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"), None)
    RedactingFilter().filter(record)
    assert "secret-token" not in record.getMessage()
    assert "eyJzdWIi" not in record.getMessage()
