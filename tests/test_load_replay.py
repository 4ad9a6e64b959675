"""A control-panel /load link opens the app once: the same signed_payload_jwt again (a copied link, one read
from a log) is refused 401 for the token's lifetime, from any process (the used key is a database row)."""
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from storefront.jwt_replay import signed_payload_use_once
from storefront.models import UsedSignedPayload
from tests.fixtures_install import STORE_HASH


def _load(client, token):
    return client.get("/bigcommerce/load", {"signed_payload_jwt": token})


def test_the_same_load_link_twice_is_refused_the_second_time(client, installed_store, bc_jwt):
    token = bc_jwt(STORE_HASH)
    assert _load(client, token).status_code == 302
    replay = _load(Client(), token)
    assert replay.status_code == 401 and b"already used" in replay.content
    assert "sessionid" not in replay.cookies
    assert _load(Client(), bc_jwt(STORE_HASH)).status_code == 302  # a fresh link works


def test_without_a_jti_the_token_is_known_by_iat_sub_and_user(client, installed_store, raw_jwt):
    token = raw_jwt(drop=("jti",))
    assert _load(client, token).status_code == 302
    assert _load(Client(), token).status_code == 401
    assert UsedSignedPayload.objects.count() == 1 and len(UsedSignedPayload.objects.get().key) == 64


def test_used_keys_are_kept_until_the_token_expires_then_cleared(db):
    now = int(timezone.now().timestamp())
    UsedSignedPayload.objects.create(key="0" * 64, expires_at=timezone.now() - timedelta(seconds=1))
    signed_payload_use_once(claims={"jti": "a", "exp": now + 600})
    assert list(UsedSignedPayload.objects.values_list("key", flat=True)) != ["0" * 64]
    assert UsedSignedPayload.objects.count() == 1
    assert UsedSignedPayload.objects.get().expires_at > timezone.now() + timedelta(seconds=600)
