"""The fake BigCommerce answers spec-shaped payloads and enforces the documented rules."""

import json
import re
from functools import cache
from urllib.parse import urlencode

import jwt
import pytest
import yaml
from django.conf import settings

from sandbox.bigcommerce import world
from sandbox.bigcommerce.tokens import current_customer_jwt, issue_install_code, signed_payload_jwt
from tests.openapi_check import SPECS, SPECS_MISSING, schema_problems

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("bc_full_scope")]
BASE = "/sandbox/bigcommerce/stores"


# --- a small reader of BigCommerce's OpenAPI files ----------------------------------------------


@cache
def _spec(name: str) -> dict:
    if not (SPECS / name).exists():
        pytest.fail(SPECS_MISSING, pytrace=False)
    return yaml.safe_load((SPECS / name).read_text())


def _resolve(spec: dict, node: dict) -> dict:
    while "$ref" in node:
        section, name = node["$ref"].split("/")[-2:]
        node = spec["components"][section][name]
    return node


def spec_keys(file: str, schema: str) -> tuple[set, set]:
    """(required, properties) of a components schema, following $ref and allOf."""
    spec = _spec(file)

    def walk(node):
        node = _resolve(spec, node)
        required, props = set(node.get("required", [])), set(node.get("properties", {}))
        for part in node.get("allOf", []):
            r, p = walk(part)
            required |= r
            props |= p
        return required, props

    return walk({"$ref": f"#/components/schemas/{schema}"})


def spec_example(file: str, response: str):
    content = _spec(file)["components"]["responses"][response]["content"]["application/json"]
    return content.get("example") or next(iter(content["examples"].values()))["value"]


# --- helpers ------------------------------------------------------------------------------------


def _call(client, store, method, path, body=None, **extra):
    kwargs = {"HTTP_X_AUTH_TOKEN": store.access_token, **extra}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(f"{BASE}/{store.store_hash}{path}", **kwargs)


def _promotion(client, store, coupon_type="BULK"):
    body = {
        "name": "Reward",
        "redemption_type": "COUPON",
        "coupon_type": coupon_type,
        "rules": [{"action": {"cart_value": {"discount": {"fixed_amount": "10"}}}}],
    }
    response = _call(client, store, "post", "/v3/promotions", body)
    assert response.status_code == 201, response.content
    return response.json()["data"]


# --- auth and headers ---------------------------------------------------------------------------


def test_bad_token_gets_401_in_each_version_shape(client, bc_store):
    v3 = client.get(f"{BASE}/{bc_store.store_hash}/v3/hooks", HTTP_X_AUTH_TOKEN="nope")
    v2 = client.get(f"{BASE}/{bc_store.store_hash}/v2/orders", HTTP_X_AUTH_TOKEN="nope")
    assert v3.status_code == v2.status_code == 401
    assert v3.json()["status"] == 401 and "title" in v3.json()
    assert v2.json()[0]["status"] == 401 and "message" in v2.json()[0]


def test_every_answer_carries_rate_limit_headers(client, bc_store):
    for response in (
        _call(client, bc_store, "get", "/v3/hooks"),
        client.get(f"{BASE}/{bc_store.store_hash}/v2/orders", HTTP_X_AUTH_TOKEN="nope"),
    ):
        for header in (
            "X-Rate-Limit-Time-Window-Ms",
            "X-Rate-Limit-Time-Reset-Ms",
            "X-Rate-Limit-Requests-Quota",
            "X-Rate-Limit-Requests-Left",
        ):
            assert response.has_header(header)


# --- orders -------------------------------------------------------------------------------------


def test_v2_order_and_sub_resources_have_the_fields_of_the_spec_examples(client, bc_store):
    order = world.create_order(
        bc_store.store_hash, email="a@example.com", coupons=[{"code": "SAVE5", "amount": "5"}]
    )
    got = _call(client, bc_store, "get", f"/v2/orders/{order['id']}").json()
    example = spec_example("orders.v2.oas2.yml", "order_Resp")
    assert set(example) - {"fees"} <= set(got)  # fees come only with include=fees
    assert got["total_inc_tax"] == "45.0000" and got["date_created"].endswith("+0000")
    for path, response in (
        ("products", "orderProductLineItem_Resp"),
        ("coupons", "orderCouponsCollection_Resp"),
        ("shipping_addresses", "orderShippingAddressCollection_Resp"),
    ):
        (item,) = _call(client, bc_store, "get", f"/v2/orders/{order['id']}/{path}").json()
        example = spec_example("orders.v2.oas2.yml", response)
        example = example[0] if isinstance(example, list) else example
        assert set(example) <= set(item), path


def test_v2_list_answers_204_when_empty_and_rejects_limit_over_250(client, bc_store):
    assert _call(client, bc_store, "get", "/v2/orders").status_code == 204
    assert _call(client, bc_store, "get", "/v2/orders?limit=251").status_code == 400
    missing = _call(client, bc_store, "get", "/v2/orders/12345")
    assert missing.status_code == 404 and missing.json() == [
        {"status": 404, "message": "The requested resource was not found."}
    ]


def test_v2_order_list_refuses_a_filter_the_spec_does_not_document_instead_of_ignoring_it(client, bc_store):
    world.create_order(bc_store.store_hash, email="a@example.com")
    for query in ("customer_email=a@example.com", "customerId=1", "status=11", "sort=total"):
        refused = _call(client, bc_store, "get", f"/v2/orders?{query}")
        assert refused.status_code == 400, query
        assert refused.json()[0]["status"] == 400
    # The count takes the filters but not the list's paging.
    assert _call(client, bc_store, "get", "/v2/orders/count?page=1").status_code == 400
    assert _call(client, bc_store, "get", "/v2/orders/count?email=a@example.com").json()["count"] == 1


def test_v2_order_list_filters_by_customer_email_id_range_channel_and_total(client, bc_store):
    ann = world.create_order(bc_store.store_hash, email="Ann@Example.com", customer_id=7, total="10.00")
    guest = world.create_order(bc_store.store_hash, email="ann@example.com", total="30.00", channel_id=2)
    world.create_order(bc_store.store_hash, email="bob@example.com", customer_id=8, total="50.00")

    def ids(query):
        response = _call(client, bc_store, "get", f"/v2/orders?{query}")
        return [] if response.status_code == 204 else [o["id"] for o in response.json()]

    assert ids("customer_id=7") == [ann["id"]]
    assert ids("email=ANN@example.com") == [ann["id"], guest["id"]]
    assert ids(f"email=ann@example.com&max_id={guest['id'] - 1}") == [ann["id"]]
    assert ids("channel_id=2") == [guest["id"]]
    assert ids("min_total=20&max_total=40") == [guest["id"]]
    assert ids("customer_id=9") == []
    assert ids("email=ann@example.com&sort=id:desc") == [guest["id"], ann["id"]]


def test_v2_put_changes_the_status(client, bc_store):
    order = world.create_order(bc_store.store_hash, email="a@example.com")
    response = _call(client, bc_store, "put", f"/v2/orders/{order['id']}", {"status_id": 2})
    assert response.json()["status_id"] == 2 and response.json()["status"] == "Shipped"


def test_v3_transactions_answer_204_when_none(client, bc_store):
    order = world.create_order(bc_store.store_hash, email="a@example.com", status_id=0)
    assert _call(client, bc_store, "get", f"/v3/orders/{order['id']}/transactions").status_code == 204


def test_refunds_update_the_order_like_bigcommerce(client, bc_store):
    order = world.create_order(
        bc_store.store_hash, email="a@example.com", products=[{"name": "Mug", "price": "20", "quantity": 2}]
    )
    (product,) = _call(client, bc_store, "get", f"/v2/orders/{order['id']}/products").json()
    body = {
        "items": [{"item_type": "PRODUCT", "item_id": product["id"], "quantity": 1}],
        "payments": [{"provider_id": "testgateway", "amount": 20, "offline": False}],
    }
    created = _call(client, bc_store, "post", f"/v3/orders/{order['id']}/payment_actions/refunds", body)
    assert created.status_code == 201
    refund = created.json()["data"]
    _, refund_props = spec_keys("orders.v3.yml", "Refund")
    assert refund_props <= set(refund)
    assert _call(client, bc_store, "get", f"/v2/orders/{order['id']}").json()["status_id"] == 14
    (product,) = _call(client, bc_store, "get", f"/v2/orders/{order['id']}/products").json()
    assert product["quantity_refunded"] == 1 and product["refund_amount"] == "20.0000"
    world.refund_order(bc_store.store_hash, order["id"])
    assert _call(client, bc_store, "get", f"/v2/orders/{order['id']}").json()["status_id"] == 4
    listed = _call(client, bc_store, "get", f"/v3/orders/{order['id']}/payment_actions/refunds").json()[
        "data"
    ]
    assert len(listed) == 2
    one = _call(client, bc_store, "get", f"/v3/orders/payment_actions/refunds/{refund['id']}").json()["data"]
    assert one["id"] == refund["id"]
    too_much = _call(client, bc_store, "post", f"/v3/orders/{order['id']}/payment_actions/refunds", body)
    assert too_much.status_code == 422 and too_much.json()["data"][0]["status"] == 422


# --- orders with their consignments (include=consignments[.line_items], consignment_structure) ----

WITH_LINE_ITEMS = "include=consignments.line_items&consignment_structure=object"
MIXED_ORDER = [
    {"name": "Kit", "price": "30", "sku": "KIT"},
    {"name": "Kit part", "price": "0", "sku": "PART", "parent": 0},
    {"name": "E-book", "price": "9", "type": "digital"},
    {"name": "Gift card", "price": "25", "type": "giftcertificate"},
]


def _schema_problems(schema: str, value) -> list[str]:
    _spec("orders.v2.oas2.yml")  # fails when the files are missing
    return schema_problems("orders.v2.oas2.yml", {"$ref": f"#/components/schemas/{schema}"}, value)


def _order_with(client, store, order_id, query):
    response = _call(client, store, "get", f"/v2/orders/{order_id}?{query}")
    assert response.status_code == 200
    return response.json()


def test_consignments_line_items_embed_the_objects_of_the_products_call(client, bc_store):
    order = world.create_order(bc_store.store_hash, email="a@example.com", products=MIXED_ORDER)
    got = _order_with(client, bc_store, order["id"], WITH_LINE_ITEMS)
    products = {p["id"]: p for p in _call(client, bc_store, "get", f"/v2/orders/{order['id']}/products").json()}
    (address,) = _call(client, bc_store, "get", f"/v2/orders/{order['id']}/shipping_addresses").json()

    consignments = got.pop("consignments")
    assert got == world.get_order(bc_store.store_hash, order["id"]).data
    assert set(consignments) == {"pickups", "shipping", "downloads", "email"} and consignments["pickups"] == []
    (shipping,) = consignments["shipping"]
    (download,) = consignments["downloads"]
    (gift,) = consignments["email"]["gift_certificates"]
    assert [p["sku"] for p in shipping["line_items"]] == ["KIT", "PART"]
    assert [p["type"] for p in download["line_items"] + gift["line_items"]] == ["digital", "giftcertificate"]
    example = _spec("orders.v2.oas2.yml")["components"]["schemas"]["shippingConsignment_Get"]["x-examples"]
    assert set(example["example-1"]) <= set(shipping)
    assert shipping["id"] == address["id"] and shipping["items_total"] == 2
    assert {k: shipping[k] for k in ("first_name", "street_1", "zip", "country_iso2")} == {
        k: address[k] for k in ("first_name", "street_1", "zip", "country_iso2")
    }
    for consignment, schema in ((shipping, "shippingConsignment_Get"), (download, "digitalConsignment_Get"),
                                (gift, "giftCertificateConsignment_Get")):
        for item in consignment.pop("line_items"):
            assert item == products[item["id"]]
            assert _schema_problems("orderProducts", item) == []
        assert _schema_problems(schema, consignment) == []


def test_consignments_without_line_items_link_them(client, bc_store):
    order = world.create_order(bc_store.store_hash, email="a@example.com")
    got = _order_with(client, bc_store, order["id"], "include=consignments&consignment_structure=object")
    (product,) = _call(client, bc_store, "get", f"/v2/orders/{order['id']}/products").json()

    (link,) = got["consignments"]["shipping"][0]["line_items"]
    assert link == {
        "url": f"{settings.BIGCOMMERCE_API_URL}/stores/{bc_store.store_hash}/v2/orders/{order['id']}/products/"
        f"{product['id']}",
        "resource": f"/orders/{order['id']}/products/{product['id']}",
    }


def test_consignments_come_in_the_object_structure_only_when_asked_for(client, bc_store):
    order = world.create_order(bc_store.store_hash, email="a@example.com")

    assert "consignments" not in _order_with(client, bc_store, order["id"], "")
    for query in ("include=consignments.line_items", "include=consignments&consignment_structure=array"):
        assert _order_with(client, bc_store, order["id"], query)["consignments"] == {
            "url": f"{settings.BIGCOMMERCE_API_URL}/stores/{bc_store.store_hash}/v2/orders/{order['id']}"
            "/consignments",
            "resource": f"/orders/{order['id']}/consignments",
        }


def test_a_consignment_of_more_than_50_line_items_is_cut_with_a_warning(client, bc_store):
    products = [{"name": f"Item {n}", "price": "1", "sku": f"I-{n}"} for n in range(51)]
    order = world.create_order(bc_store.store_hash, email="a@example.com", products=products)

    (shipping,) = _order_with(client, bc_store, order["id"], WITH_LINE_ITEMS)["consignments"]["shipping"]
    assert [p["sku"] for p in shipping["line_items"]] == [f"I-{n}" for n in range(50)]
    assert "only 50 are included" in shipping["__warning__"]["message"]
    assert shipping["items_total"] == 51


def test_an_order_of_digital_goods_has_no_shipping_address_or_consignment(client, bc_store):
    order = world.create_order(bc_store.store_hash, email="a@example.com", products=MIXED_ORDER[2:])

    assert order["shipping_address_count"] == 0 and order["order_is_digital"] is True
    assert _call(client, bc_store, "get", f"/v2/orders/{order['id']}/shipping_addresses").status_code == 204
    consignments = _order_with(client, bc_store, order["id"], WITH_LINE_ITEMS)["consignments"]
    assert consignments["shipping"] == [] and len(consignments["downloads"]) == 1


# --- customers ----------------------------------------------------------------------------------


def test_customers_filter_validate_and_page(client, bc_store):
    missing = _call(client, bc_store, "post", "/v3/customers", [{"email": "x@example.com"}])
    assert missing.status_code == 422 and "0.first_name" in missing.json()["errors"]
    created = _call(
        client,
        bc_store,
        "post",
        "/v3/customers",
        [{"email": "Jo@Example.com", "first_name": "Jo", "last_name": "Ng"}],
    ).json()["data"]
    found = _call(client, bc_store, "get", "/v3/customers?email:in=jo@example.com").json()
    assert [c["id"] for c in found["data"]] == [created[0]["id"]]
    assert found["meta"]["pagination"]["total"] == 1
    _, props = spec_keys("customers.v3.yml", "customer_Full")
    # Sub-resources come only with `include` (store credit with include=storecredit).
    assert props - {"addresses", "attributes", "form_fields", "store_credit_amounts"} <= set(found["data"][0])
    assert "store_credit_amounts" not in found["data"][0]
    with_credit = _call(client, bc_store, "get", "/v3/customers?email:in=jo@example.com&include=storecredit").json()
    assert with_credit["data"][0]["store_credit_amounts"] == [{"amount": 0}]


# --- hooks --------------------------------------------------------------------------------------


def test_hooks_validate_like_the_spec(client, bc_store):
    no_destination = _call(client, bc_store, "post", "/v3/hooks", {"scope": "store/order/created"})
    assert no_destination.status_code == 422 and no_destination.json()["errors"]["destination"]
    insecure = _call(
        client,
        bc_store,
        "post",
        "/v3/hooks",
        {"scope": "store/order/created", "destination": "http://app.example.test/hook"},
    )
    assert insecure.status_code == 422
    body = {
        "scope": "store/order/created",
        "destination": "https://app.example.test/hook",
        "headers": {"X-Secret": "s"},
    }
    created = _call(client, bc_store, "post", "/v3/hooks", body)
    assert created.status_code == 200
    _, props = spec_keys("webhooks.v3.yml", "webhook_Full")
    assert props <= set(created.json()["data"])
    assert _call(client, bc_store, "post", "/v3/hooks", body).status_code == 422  # same scope + destination


def test_hooks_crud_uses_the_data_envelope(client, bc_store):
    hook = _call(
        client,
        bc_store,
        "post",
        "/v3/hooks",
        {"scope": "store/order/*", "destination": "https://app.example.test/hook", "is_active": False},
    ).json()["data"]
    listed = _call(client, bc_store, "get", "/v3/hooks").json()
    assert [h["id"] for h in listed["data"]] == [hook["id"]] and "pagination" in listed["meta"]
    updated = _call(client, bc_store, "put", f"/v3/hooks/{hook['id']}", {"is_active": True}).json()["data"]
    assert updated["is_active"] is True
    deleted = _call(client, bc_store, "delete", f"/v3/hooks/{hook['id']}")
    assert deleted.status_code == 200 and deleted.json()["data"]["id"] == hook["id"]
    assert _call(client, bc_store, "get", f"/v3/hooks/{hook['id']}").status_code == 404


def test_deliver_webhook_posts_the_documented_payload_with_custom_headers(client, bc_store, webhook_receiver):
    _call(
        client,
        bc_store,
        "post",
        "/v3/hooks",
        {
            "scope": "store/order/*",
            "destination": "https://hooks.example.test/bc",
            "headers": {"X-Shop-Secret": "abc"},
        },
    )
    order = world.create_order(bc_store.store_hash, email="a@example.com")
    (response,) = world.fire_order_event(bc_store.store_hash, order["id"], scope="store/order/created")
    assert response.status_code == 200
    (request,) = webhook_receiver
    payload = json.loads(request.body)
    assert request.headers["X-Shop-Secret"] == "abc"
    assert payload["scope"] == "store/order/created" and payload["data"] == {
        "type": "order",
        "id": order["id"],
    }
    assert isinstance(payload["store_id"], str) and payload["producer"] == f"stores/{bc_store.store_hash}"
    assert len(payload["hash"]) == 40 and isinstance(payload["created_at"], int)
    assert world.deliver_webhook(bc_store.store_hash, scope="store/customer/created", data={"id": 1}) == []


# --- scripts ------------------------------------------------------------------------------------


def test_scripts_crud_and_the_ten_script_limit(client, bc_store):
    assert _call(client, bc_store, "post", "/v3/content/scripts", {"kind": "src"}).status_code == 422
    body = {
        "name": "Loader",
        "kind": "src",
        "src": "https://cdn.example.test/l.js",
        "location": "footer",
        "visibility": "storefront",
        "consent_category": "functional",
        "auto_uninstall": True,
    }
    created = _call(client, bc_store, "post", "/v3/content/scripts", body)
    assert created.status_code == 200
    script = created.json()["data"]
    _, props = spec_keys("scripts.v3.yml", "script_Full")
    assert props <= set(script)
    for n in range(9):
        assert (
            _call(client, bc_store, "post", "/v3/content/scripts", {**body, "name": f"s{n}"}).status_code
            == 200
        )
    assert (
        _call(client, bc_store, "post", "/v3/content/scripts", {**body, "name": "eleventh"}).status_code
        == 422
    )
    updated = _call(client, bc_store, "put", f"/v3/content/scripts/{script['uuid']}", {"enabled": False})
    assert updated.json()["data"]["enabled"] is False
    assert _call(client, bc_store, "delete", f"/v3/content/scripts/{script['uuid']}").status_code == 204
    assert _call(client, bc_store, "get", f"/v3/content/scripts/{script['uuid']}").status_code == 404


# --- promotions and codes -----------------------------------------------------------------------


def test_promotion_requires_name_redemption_type_and_rules(client, bc_store):
    response = _call(client, bc_store, "post", "/v3/promotions", {"name": "x", "redemption_type": "COUPON"})
    assert response.status_code == 422 and "rules" in response.json()["errors"][0]["title"]
    promotion = _promotion(client, bc_store)
    required, _ = spec_keys("promotions.v3.yml", "SavedCouponPromotion")
    assert required <= set(promotion)
    changed = _call(
        client, bc_store, "put", f"/v3/promotions/{promotion['id']}", {"redemption_type": "AUTOMATIC"}
    )
    assert changed.status_code == 422


def test_codes_are_unique_counted_and_found_by_code(client, bc_store):
    promotion = _promotion(client, bc_store, coupon_type="SINGLE")
    created = _call(
        client,
        bc_store,
        "post",
        f"/v3/promotions/{promotion['id']}/codes",
        {"code": "FRIEND-10", "max_uses": 1, "max_uses_per_customer": 1},
    )
    assert created.status_code == 201
    required, _ = spec_keys("promotions.v3.yml", "CouponCode")
    assert required <= set(created.json()["data"])
    duplicate = _call(
        client, bc_store, "post", f"/v3/promotions/{promotion['id']}/codes", {"code": "friend-10"}
    )
    assert duplicate.status_code == 422  # the spec documents no 409 for this endpoint
    world.create_order(
        bc_store.store_hash, email="a@example.com", coupons=[{"code": "FRIEND-10", "amount": 10}]
    )
    found = _call(client, bc_store, "get", "/v3/promotions/codes?code=FRIEND-10").json()["data"]
    assert [(c["code"], c["current_uses"]) for c in found] == [("FRIEND-10", 1)]


def test_a_single_promotion_takes_one_code_and_refuses_a_second_with_422(client, bc_store):
    single = _promotion(client, bc_store, coupon_type="SINGLE")
    path = f"/v3/promotions/{single['id']}/codes"
    assert _call(client, bc_store, "post", path, {"code": "VIP-ONE"}).status_code == 201
    second = _call(client, bc_store, "post", path, {"code": "VIP-TWO"})
    assert second.status_code == 422 and "only one code" in second.json()["errors"][0]["title"]
    assert [c["code"] for c in _call(client, bc_store, "get", path).json()["data"]] == ["VIP-ONE"]
    bulk = _promotion(client, bc_store)
    for code in ("MANY-1", "MANY-2"):
        assert _call(client, bc_store, "post", f"/v3/promotions/{bulk['id']}/codes", {"code": code}).status_code == 201


def test_codegen_only_for_bulk_coupon_promotions(client, bc_store):
    single = _promotion(client, bc_store, coupon_type="SINGLE")
    assert (
        _call(
            client, bc_store, "post", f"/v3/promotions/{single['id']}/codegen", {"batch_size": 1}
        ).status_code
        == 405
    )
    bulk = _promotion(client, bc_store)
    for size in (0, 251, "5"):
        assert (
            _call(
                client, bc_store, "post", f"/v3/promotions/{bulk['id']}/codegen", {"batch_size": size}
            ).status_code
            == 422
        )
    made = _call(client, bc_store, "post", f"/v3/promotions/{bulk['id']}/codegen", {"batch_size": 5}).json()[
        "data"
    ]
    assert made["batch_size"] == 5 and made["max_uses"] == 1 and made["max_uses_per_customer"] == 1
    schema = _resolve(_spec("promotions.v3.yml"), {"$ref": "#/components/schemas/BulkCouponCode"})
    assert all(re.fullmatch(schema["properties"]["code"]["pattern"], c["code"]) for c in made["codes"])
    prefixed = _call(
        client,
        bc_store,
        "post",
        f"/v3/promotions/{bulk['id']}/codegen",
        {"batch_size": 2, "prefix": "FB", "delimiter": "-", "code_length": 8},
    ).json()["data"]
    assert all(re.fullmatch(r"FB-[A-Z0-9]{8}", c["code"]) for c in prefixed["codes"])


# --- install and storefront identity ------------------------------------------------------------


def test_token_exchange_accepts_form_encoding_and_checks_redirect_uri(client):
    code = issue_install_code(store_hash="formstore", user_id=7, user_email="o@example.com")
    form = {
        "client_id": settings.BIGCOMMERCE_CLIENT_ID,
        "client_secret": settings.BIGCOMMERCE_CLIENT_SECRET,
        "code": code,
        "context": "stores/formstore",
        "scope": "x",
        "grant_type": "authorization_code",
        "redirect_uri": "https://elsewhere.example/auth",
    }
    url = "/sandbox/bigcommerce-login/oauth2/token"
    encoded = "application/x-www-form-urlencoded"
    assert client.post(url, urlencode(form), content_type=encoded).status_code == 400
    wrong_secret = {**form, "client_secret": "nope", "redirect_uri": f"{settings.APP_URL}/bigcommerce/auth"}
    assert client.post(url, urlencode(wrong_secret), content_type=encoded).status_code == 401
    form["redirect_uri"] = f"{settings.APP_URL}/bigcommerce/auth"
    response = client.post(url, urlencode(form), content_type=encoded)
    assert response.status_code == 200 and response.json()["owner"]["id"] == 7


def test_jwts_verify_with_the_client_secret(client, bc_store):
    claims = jwt.decode(
        signed_payload_jwt(
            store_hash="abc", user_id=1, user_email="u@example.com", owner_id=2, owner_email="o@example.com"
        ),
        settings.BIGCOMMERCE_CLIENT_SECRET,
        algorithms=["HS256"],
        audience=settings.BIGCOMMERCE_CLIENT_ID,
    )
    assert claims["sub"] == "stores/abc" and claims["iss"] == "bc" and claims["owner"]["id"] == 2
    customer = world.create_customer(bc_store.store_hash, email="shopper@example.com")
    url = f"/sandbox/bigcommerce/storefront/{bc_store.store_hash}/customer/current.jwt"
    response = client.get(
        url, {"app_client_id": settings.BIGCOMMERCE_CLIENT_ID, "customer_id": customer["id"]}
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    claims = jwt.decode(
        response.content.decode(),
        settings.BIGCOMMERCE_CLIENT_SECRET,
        algorithms=["HS256"],
        audience=settings.BIGCOMMERCE_CLIENT_ID,
    )
    assert claims["operation"] == "current_customer" and claims["customer"]["id"] == customer["id"]
    assert claims["exp"] - claims["iat"] == 900
    assert client.get(url, {"app_client_id": settings.BIGCOMMERCE_CLIENT_ID}).status_code == 404
    assert (
        jwt.decode(
            current_customer_jwt(store_hash="abc", customer_id=1, email="e@example.com"),
            settings.BIGCOMMERCE_CLIENT_SECRET,
            algorithms=["HS256"],
            audience=settings.BIGCOMMERCE_CLIENT_ID,
        )["iss"]
        == "bc/apps"
    )
