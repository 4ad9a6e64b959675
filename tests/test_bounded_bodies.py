"""Every inbound endpoint checks body size and JSON nesting depth before any parse: a 10,000-deep array
or an oversized body is a recorded 4xx (bounded), never a 500 (issue 14 item 7)."""

import hashlib
import json

import pytest

from referrals.friendbuy.signatures import SIGNATURE_HEADER, friendbuy_signature
from referrals.models import FriendbuyDelivery, ValidationCallback
from storefront.bounded_json import BodyTooDeep, BoundedJSONError, json_depth, json_parse
from storefront.models import RejectedCall, WebhookDelivery

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("rate_windows_pinned")]

DEEP = b"[" * 10_000 + b"]" * 10_000
OVERSIZED = b'{"padding": "' + b"x" * (3 * 1024 * 1024) + b'"}'
# Deeper than the limit (32) yet under the widget API's 8 KB, so the depth check itself answers.
DEEP_SMALL = b'{"deviceId": ' + b"[" * 40 + b"]" * 40 + b"}"


@pytest.mark.parametrize(
    "data, depth",
    [(b"1", 0), (b"{}", 1), (b'[1, {"a": [2]}]', 3), (b'{"a": "[[[[\\"[["}', 1), (b'["\\\\", [1]]', 2),
     (DEEP, 10_000)],
)
def test_the_depth_is_measured_without_parsing_and_ignores_brackets_in_strings(data, depth):
    assert json_depth(data) == depth


def test_the_bounded_parser_refuses_deep_and_broken_json_with_value_errors():
    with pytest.raises(BodyTooDeep):
        json_parse(DEEP, max_bytes=len(DEEP))
    with pytest.raises(BoundedJSONError):
        json_parse(b"{not json", max_bytes=100)
    assert json_parse(b'{"a": [1]}', max_bytes=100) == {"a": [1]}


# --- BigCommerce inbox ----------------------------------------------------------------------------------


def test_bigcommerce_inbox_acknowledges_an_authenticated_deep_array_and_records_it_rejected(lc_store, post_webhook):
    response = post_webhook(lc_store, None, raw=DEEP.decode())
    assert response.status_code == 200 and response.content == b""
    row = WebhookDelivery.objects.get()
    assert row.authenticated and row.status == "rejected" and "deeper than" in row.error
    assert row.body_size == len(DEEP)


def test_bigcommerce_inbox_refuses_an_unauthenticated_deep_array_401_bounded(lc_store, post_webhook):
    assert post_webhook(lc_store, None, raw=DEEP.decode(), secret="wrong").status_code == 401
    row = WebhookDelivery.objects.get()
    assert len(row.body) == 1024 and row.body_sha256 == hashlib.sha256(DEEP).hexdigest()


def test_bigcommerce_inbox_refuses_an_oversized_body_413(lc_store, post_webhook):
    assert post_webhook(lc_store, None, raw=OVERSIZED.decode()).status_code == 413
    assert WebhookDelivery.objects.get().response_status == 413


# --- Friendbuy inbox and validation callback -----------------------------------------------------------


def _post_friendbuy(client, path, body: bytes, secret: str | None):
    headers = {SIGNATURE_HEADER: friendbuy_signature(body, secret)} if secret else {}
    return client.post(path, data=body, content_type="application/json", headers=headers)


@pytest.mark.parametrize("kind", ["webhooks", "validation"])
def test_friendbuy_endpoints_refuse_an_unsigned_deep_array_401_bounded(client, friendbuy, kind):
    # The signature check re-serialises the body (Friendbuy's sample signs JSON.stringify): bounded too.
    response = _post_friendbuy(client, f"/friendbuy/{kind}/{friendbuy.store.public_id}", DEEP, None)
    assert response.status_code == 401
    row = FriendbuyDelivery.objects.get()
    assert not row.valid and len(row.body) == 1024 and row.body_truncated and row.body_size == len(DEEP)
    assert row.body_sha256 == hashlib.sha256(DEEP).hexdigest()


@pytest.mark.parametrize("kind", ["webhooks", "validation"])
def test_friendbuy_endpoints_refuse_a_signed_deep_array_400_kept_whole(client, friendbuy, kind):
    response = _post_friendbuy(client, f"/friendbuy/{kind}/{friendbuy.store.public_id}", DEEP, friendbuy.secret)
    assert response.status_code == 400
    row = FriendbuyDelivery.objects.get()
    assert row.valid and row.status == FriendbuyDelivery.Status.MALFORMED and "deeper than" in row.error
    assert row.body.encode() == DEEP


@pytest.mark.parametrize("kind", ["webhooks", "validation"])
def test_friendbuy_endpoints_refuse_an_oversized_body_413_bounded(client, friendbuy, kind):
    response = _post_friendbuy(client, f"/friendbuy/{kind}/{friendbuy.store.public_id}", OVERSIZED,
                               friendbuy.secret)
    assert response.status_code == 413
    row = FriendbuyDelivery.objects.get()
    assert not row.valid and row.http_status == 413 and len(row.body) <= 1024 and row.body_size == len(OVERSIZED)
    if kind == "validation":
        assert ValidationCallback.objects.get().answer_status == 413


def test_unauthenticated_friendbuy_calls_over_the_rate_get_429_unrecorded(client, friendbuy, settings, clear_cache):
    settings.INBOUND_UNAUTHENTICATED_RATE = "2/min"
    body = json.dumps({"type": "advocateReward", "data": []}).encode()
    statuses = [_post_friendbuy(client, f"/friendbuy/webhooks/{friendbuy.store.public_id}", body, "forged").status_code
                for _ in range(3)]
    statuses.append(_post_friendbuy(client, "/friendbuy/validation/nobody", body, None).status_code)
    assert statuses == [401, 401, 429, 429]
    assert FriendbuyDelivery.objects.count() == 2
    assert _post_friendbuy(client, f"/friendbuy/webhooks/{friendbuy.store.public_id}", body,
                           friendbuy.secret).status_code == 200


# --- the widget API -------------------------------------------------------------------------------------

WIDGET_WRITES = ["identify", "capture", "orders/link"]


@pytest.mark.parametrize("path", WIDGET_WRITES)
@pytest.mark.parametrize(
    "body, status, reason",
    [(DEEP, 413, "larger than"), (OVERSIZED, 413, "larger than"), (DEEP_SMALL, 400, "deeper than"),
     (b"{not json", 400, "not valid JSON")],
    ids=["deep-array", "oversized", "deep-under-the-size-cap", "not-json"],
)
def test_widget_api_writes_refuse_bad_bodies_with_a_recorded_4xx(client, storefront_world, path, body, status,
                                                                  reason):
    response = client.post(f"/api/storefront/v1/{path}", data=body, content_type="application/json",
                           **storefront_world.headers())
    assert response.status_code == status
    assert response.json()["error"]["code"] in {"payload_too_large", "parse_error"}
    row = RejectedCall.objects.get()
    assert row.status == status and reason in row.reason and row.path == f"/api/storefront/v1/{path}"
    assert row.public_id == storefront_world.store.public_id and len(row.body_prefix) <= 1024
    assert row.body_size == len(body)


def test_widget_api_refusals_over_the_rate_are_refused_but_not_recorded(client, storefront_world, settings):
    settings.INBOUND_UNAUTHENTICATED_RATE = "1/min"
    for _ in range(3):
        response = client.post("/api/storefront/v1/capture", data=DEEP_SMALL, content_type="application/json",
                               **storefront_world.headers())
        assert response.status_code == 400
    assert RejectedCall.objects.count() == 1


# --- NUL bytes: PostgreSQL text and JSON refuse them, so they must never reach a row unchanged -------------

NUL_BODY = b'{"scope": "store/order/created", "data": {"id": 1}}\x00\x00'


def test_bigcommerce_inbox_stores_nul_bytes_as_replacement_characters(lc_store, post_webhook):
    assert post_webhook(lc_store, None, raw=NUL_BODY.decode()).status_code == 200
    assert post_webhook(lc_store, None, raw=NUL_BODY.decode(), secret="wrong").status_code == 401
    assert post_webhook(lc_store, None, raw="{}", public_id="a%00b").status_code == 404
    assert post_webhook(lc_store, {"scope": "store/order/created", "data": {"id": "\x00"},
                                   "producer": f"stores/{lc_store.store_hash}"}).status_code == 200
    rows = list(WebhookDelivery.objects.order_by("id"))
    assert len(rows) == 4 and all("\x00" not in row.body + row.public_id + row.resource_id for row in rows)
    assert rows[0].body_sha256 == hashlib.sha256(NUL_BODY).hexdigest()


@pytest.mark.parametrize("kind", ["webhooks", "validation"])
def test_friendbuy_endpoints_store_nul_bytes_as_replacement_characters(client, friendbuy, kind):
    assert _post_friendbuy(client, f"/friendbuy/{kind}/{friendbuy.store.public_id}", NUL_BODY,
                           friendbuy.secret).status_code == 400
    assert _post_friendbuy(client, f"/friendbuy/{kind}/a%00b", NUL_BODY, None).status_code == 404
    assert all("\x00" not in row.body + row.public_id for row in FriendbuyDelivery.objects.all())


def test_widget_api_records_a_nul_body_refusal(client, storefront_world):
    response = client.post("/api/storefront/v1/capture?store=a%00b", data=NUL_BODY, content_type="application/json",
                           **storefront_world.headers())
    assert response.status_code == 400
    row = RejectedCall.objects.get()
    assert "\x00" not in row.body_prefix and row.body_sha256 == hashlib.sha256(NUL_BODY).hexdigest()


NUL_TAIL_BODY = b'{"scope": "store/order/created", "data": {"id": 1}}\x00\x00tail'


def test_a_body_with_nul_bytes_is_recorded_on_every_inbox(client, lc_store, post_webhook, friendbuy,
                                                           storefront_world):
    # PostgreSQL text columns refuse NUL: the evidence must still be stored (and the caller answered 4xx).
    assert post_webhook(lc_store, None, raw=NUL_TAIL_BODY, secret="wrong").status_code == 401
    assert post_webhook(lc_store, None, raw=NUL_TAIL_BODY).status_code == 200  # authenticated: kept, rejected
    assert [("\x00" in row.body, row.valid) for row in WebhookDelivery.objects.order_by("pk")] == [
        (False, False), (False, False)]
    response = _post_friendbuy(client, f"/friendbuy/webhooks/{friendbuy.store.public_id}", NUL_TAIL_BODY, None)
    assert response.status_code == 401
    assert "\x00" not in FriendbuyDelivery.objects.get().body
    response = client.post("/api/storefront/v1/capture", data=NUL_TAIL_BODY, content_type="application/json",
                           **storefront_world.headers())
    assert response.status_code == 400
    assert "\x00" not in RejectedCall.objects.get().body_prefix
