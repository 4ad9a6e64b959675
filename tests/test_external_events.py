"""The per-store API key endpoint for the merchant's own events: authenticated by a key shown once and
stored hashed, rate limited, in the OpenAPI schema, and each event sent to Friendbuy once."""
import re

import pytest

from referrals.earning.external import api_key_rotate
from referrals.models import EarningSettings
from sandbox.friendbuy import world as fb_world

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/external/v1/events"
BODY = {"eventType": "review_posted", "deduplicationId": "rev-1", "email": "ada@example.com",
        "customerId": "101", "properties": {"stars": "5"}}


def _post(client, key, body=BODY):
    return client.post(URL, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")


def test_an_external_event_is_sent_once_per_deduplication_id(client, lc_store, lc_merchant):
    key = api_key_rotate(store=lc_store)
    first, again = _post(client, key), _post(client, key)
    assert first.status_code == 202 and first.json()["duplicate"] is False
    assert again.status_code == 200 and again.json()["duplicate"] is True
    sent = [e for e in fb_world.events(lc_merchant, "custom") if e["eventType"] == "review_posted"]
    assert len(sent) == 1 and sent[0]["deduplicationId"] == "external:review_posted:rev-1"
    assert sent[0]["additionalProperties"] == {"stars": "5"}


def test_the_key_is_stored_hashed_and_a_wrong_or_missing_key_is_401(client, lc_store):
    key = api_key_rotate(store=lc_store)
    settings = EarningSettings.objects.get(store=lc_store)
    assert key not in (settings.api_key_hash, settings.api_key_hint) and len(settings.api_key_hash) == 64
    assert _post(client, key + "x").status_code == 401
    assert client.post(URL, BODY, content_type="application/json").status_code == 401
    new_key = api_key_rotate(store=lc_store)
    assert _post(client, key).status_code == 401 and _post(client, new_key).status_code == 202


def test_bad_bodies_are_400(client, lc_store):
    key = api_key_rotate(store=lc_store)
    assert _post(client, key, {**BODY, "email": "nope"}).status_code == 400
    assert _post(client, key, {**BODY, "eventType": "bad type!"}).status_code == 400


def test_past_the_rate_limit_is_429(client, lc_store, settings):
    settings.EXTERNAL_EVENTS_RATE = 2
    key = api_key_rotate(store=lc_store)
    answers = [_post(client, key, {**BODY, "deduplicationId": f"r{n}"}).status_code for n in range(3)]
    assert answers == [202, 202, 429]


def test_the_endpoint_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert schema["paths"][URL]["post"]["security"] == [{"storeApiKey": []}]
    assert schema["components"]["securitySchemes"]["storeApiKey"]["scheme"] == "bearer"


def test_the_owner_sees_a_new_key_once(client, installed_store, load_app):
    load_app()
    body = client.post("/app/events/", {"action": "api_key"}).content.decode()
    key = re.search(r'<code id="new-key">([^<]+)</code>', body).group(1)
    assert _post(client, key).status_code == 202
    assert key not in client.get("/app/events/").content.decode()
