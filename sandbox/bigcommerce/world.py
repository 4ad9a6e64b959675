"""Python-level control of the fake BigCommerce for tests and the demo: make stores, shoppers and
orders, change and refund orders, and deliver webhooks to the app the way BigCommerce does.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from standardwebhooks.webhooks import Webhook

from storefront.http import build_session
from storefront.scopes import app_scope_string

from . import catalog, channels, credit, groups, state
from .models import (
    FakeCouponCode,
    FakeCustomer,
    FakeCustomerAttribute,
    FakeGiftCertificate,
    FakeHook,
    FakeOrder,
    FakeProduct,
    FakeProductReview,
    FakeStore,
)

DEFAULT_ADDRESS = {
    "first_name": "Jane",
    "last_name": "Doe",
    "company": "",
    "street_1": "455 Main Street",
    "street_2": "",
    "city": "Austin",
    "state": "Texas",
    "zip": "78751",
    "country": "United States",
    "country_iso2": "US",
    "phone": "555-123-4567",
    "email": "",
}


def create_store(
    store_hash: str, *, access_token: str | None = None, client_id: str | None = None, scope: str | None = None
) -> FakeStore:
    """The fake store (created if missing); `access_token` sets the one token it accepts, granted `scope`
    (default: the app's scopes, storefront.scopes, as an install grants them)."""
    store = FakeStore.objects.filter(store_hash=store_hash).first()
    if store is None:
        try:
            with transaction.atomic():
                store = FakeStore.objects.create(store_hash=store_hash, store_id=state.new_store_id())
        except IntegrityError:
            store = FakeStore.objects.get(store_hash=store_hash)
    if access_token is not None:
        store.access_token = access_token
        store.client_id = client_id or settings.BIGCOMMERCE_CLIENT_ID
        store.scope = app_scope_string() if scope is None else scope
        store.save(update_fields=["access_token", "client_id", "scope"])
    return store


def set_rate_limit(store_hash: str, *, quota: int | None, window_ms: int = 30_000) -> None:
    """Meter the store's API calls: `quota` requests per `window_ms` window, 429 past it (None: unmetered)."""
    FakeStore.objects.filter(store_hash=store_hash).update(
        rate_limit_quota=quota, rate_limit_window_ms=window_ms, rate_limit_window=0, rate_limit_used=0
    )


def _store(store_hash: str) -> FakeStore:
    return FakeStore.objects.get(store_hash=store_hash)


# --- store information, channels, sites ---------------------------------------------------------


def set_store_information(store_hash: str, *, notify: bool = True, **fields) -> list[requests.Response]:
    """Change GET /v2/store fields (e.g. secure_url and domain, for a store on its own domain; channel 1's
    site follows secure_url), then deliver store/information/updated unless `notify` is False."""
    store = create_store(store_hash)
    store.info = {**(store.info or {}), **fields}
    store.save(update_fields=["info"])
    if "secure_url" in fields:
        channels.ensure_default_channel(store)
        channels.set_site(store, channel_id=channels.DEFAULT_CHANNEL_ID, url=fields["secure_url"])
    return deliver_webhook(store_hash, scope="store/information/updated", data={"type": "store"}) if notify else []


def create_channel(store_hash: str, *, name: str, type: str = "storefront", platform: str = "bigcommerce",
                   status: str | None = None, site_url: str | None = None, notify: bool = True,
                   **extra) -> tuple[dict, list[requests.Response]]:
    """A merchant adds a channel (a storefront starts `prelaunch` unless `status` says otherwise), with a
    site on `site_url` if given; store/channel/created is delivered unless `notify` is False."""
    store = create_store(store_hash)
    channel = channels.create_channel(store, name=name, type=type, platform=platform, status=status, **extra)
    if site_url:
        channels.set_site(store, channel_id=channel.channel_id, url=site_url)
    responses = (deliver_webhook(store_hash, scope="store/channel/created",
                                 data={"type": "channel", "id": channel.channel_id}) if notify else [])
    return channels.channel_payload(channel), responses


def update_channel(store_hash: str, channel_id: int, *, site_url: str | None = None, notify: bool = True,
                   **fields) -> tuple[dict, list[requests.Response]]:
    """Change a channel (status, name…) and/or move its site; store/channel/updated unless `notify` is False."""
    store = create_store(store_hash)
    channels.ensure_default_channel(store)
    channel = channels.update_channel(store, channel_id, **fields)
    if site_url:
        channels.set_site(store, channel_id=channel_id, url=site_url)
    responses = (deliver_webhook(store_hash, scope="store/channel/updated",
                                 data={"type": "channel", "id": channel_id}) if notify else [])
    return channels.channel_payload(channel), responses


# --- customers ----------------------------------------------------------------------------------


def customer_payload(customer: FakeCustomer) -> dict:
    return {"id": customer.pk, **customer.data}


def create_customer(
    store_hash: str,
    *,
    email: str,
    first_name: str = "Jane",
    last_name: str = "Doe",
    phone: str = "",
    company: str = "",
    customer_group_id: int = 0,
    registration_ip_address: str = "",
    **extra,
) -> dict:
    """A customer_Full as GET /v3/customers answers it."""
    store = create_store(store_hash)
    stamp = state.iso(state.now())
    customer = FakeCustomer.objects.create(
        store=store,
        email=email.lower(),
        data={
            "email": email,
            "first_name": first_name,
            "last_name": last_name,
            "company": company,
            "phone": phone,
            "registration_ip_address": registration_ip_address,
            "notes": "",
            "tax_exempt_category": "",
            "customer_group_id": customer_group_id,
            "date_created": stamp,
            "date_modified": stamp,
            "address_count": 0,
            "attribute_count": 0,
            "authentication": {"force_password_reset": False},
            "accepts_product_review_abandoned_cart_emails": False,
            "store_credit_amounts": [{"amount": 0}],
            "origin_channel_id": 1,
            "channel_ids": None,
            **extra,
        },
    )
    return customer_payload(customer)


def create_customer_group(store_hash: str, *, name: str, **fields) -> dict:
    """A customer group (customerGroup_Full), e.g. one a merchant made for a loyalty tier."""
    return groups.create_group(create_store(store_hash), name=name, **fields)


def customer_group_of(store_hash: str, customer_id: int) -> int:
    """The customer's customer_group_id right now (0 = none)."""
    return int(FakeCustomer.objects.get(store=_store(store_hash), pk=customer_id).data.get("customer_group_id") or 0)


def set_customer_form_field(store_hash: str, customer_id: int, *, name: str, value: Any) -> None:
    """Set a customer form-field value, as the shopper fills a merchant's custom account field."""
    customer = FakeCustomer.objects.get(store=_store(store_hash), pk=customer_id)
    fields = [f for f in customer.data.get("form_fields") or [] if f.get("name") != name]
    customer.data["form_fields"] = [*fields, {"name": name, "value": value}]
    customer.save(update_fields=["data"])


def set_customer_attribute(store_hash: str, customer_id: int, *, name: str, value: str, type: str = "string") -> int:
    """Set a customer attribute value (the attribute is defined on first use); returns the attribute id."""
    store = _store(store_hash)
    attribute, _ = FakeCustomerAttribute.objects.get_or_create(store=store, name=name, defaults={"type": type})
    customer = FakeCustomer.objects.get(store=store, pk=customer_id)
    values = [v for v in customer.data.get("attributes") or [] if v.get("attribute_id") != attribute.pk]
    stamp = state.iso(state.now())
    customer.data["attributes"] = [*values, {"id": attribute.pk * 100000 + customer.pk, "attribute_id": attribute.pk,
                                             "attribute_value": str(value), "date_created": stamp,
                                             "date_modified": stamp}]
    customer.data["attribute_count"] = len(customer.data["attributes"])
    customer.save(update_fields=["data"])
    return attribute.pk


def subscribe_newsletter(store_hash: str, *, email: str, first_name: str = "", last_name: str = "",
                         source: str = "storefront") -> tuple[dict, list[requests.Response]]:
    """A shopper signs up to the newsletter: the subscriber exists, then store/subscriber/created is
    delivered to the store's hooks (subscribers.v3.yml; webhooks.v3.yml store_subscriber_created)."""
    subscriber = groups.create_subscriber(create_store(store_hash), email=email, first_name=first_name,
                                          last_name=last_name, source=source)
    responses = deliver_webhook(store_hash, scope="store/subscriber/created",
                                data={"type": "subscriber", "id": subscriber["id"]})
    return subscriber, responses


# --- catalog: products and their reviews ---------------------------------------------------------


def create_product(store_hash: str, *, name: str, price: str = "10.00", **fields) -> dict:
    """A catalog product (product_Full), e.g. one shoppers review."""
    return catalog.create_product(create_store(store_hash), name=name, price=price, **fields)


def add_review(store_hash: str, product_id: int, *, email: str, status: str = "pending", title: str = "Lovely",
               text: str = "", rating: int = 5, name: str = "", date_reviewed: str | None = None) -> dict:
    """A shopper reviews a product (pending until the merchant approves it, unless `status` says otherwise)."""
    product = FakeProduct.objects.get(store=_store(store_hash), pk=product_id)
    return catalog.create_review(product, title=title, text=text, rating=rating, email=email, name=name,
                                 status=status, date_reviewed=date_reviewed or state.iso(state.now()))


def set_review_status(store_hash: str, review_id: int, status: str) -> dict:
    """The merchant approves (or disapproves) a review in the control panel; its date_modified moves."""
    review = FakeProductReview.objects.get(store=_store(store_hash), pk=review_id)
    return catalog.set_review_status(review, status)


# --- orders -------------------------------------------------------------------------------------


def create_order(
    store_hash: str,
    *,
    email: str,
    customer_id: int = 0,
    status_id: int = 11,
    products: Iterable[dict] | None = None,
    coupons: Iterable[dict] | None = None,
    total: Decimal | str | float | None = None,
    shipping_cost: Decimal | str | float = 0,
    currency: str = "USD",
    ip_address: str = "203.0.113.10",
    billing_address: dict | None = None,
    shipping_address: dict | None = None,
    date_created: datetime | None = None,
    payment_method: str = "Credit Card",
    **extra,
) -> dict:
    """A spec-shaped v2 order with its products, coupons, shipping address and (if paid) a transaction.

    products: [{"name", "price", "quantity"=1, "product_id", "sku", "type"="physical" (or "digital",
    "giftcertificate"), "parent" (the index in `products` of the line it is bundled in)}]; coupons:
    [{"code", "amount" (money off), "type"=5 (promotion), "coupon_id"}]. `total` defaults to products -
    coupons + shipping. An order with no physical line has no shipping address. Creating an order with a
    code of a fake promotion counts one use of that code.
    """
    store = create_store(store_hash)
    products = list(products or [{"name": "Sample Product", "price": "50.00", "quantity": 1}])
    coupons = list(coupons or [])
    order_id, line_id = state.next_ids(store, orders=1, lines=len(products) + len(coupons) + 1)
    created = date_created or state.now()
    billing = {**DEFAULT_ADDRESS, **(billing_address or {})}
    billing["email"] = billing.get("email") or email
    address_id = line_id
    line_id += 1

    lines, subtotal, items_total, shipped_items = [], Decimal("0"), 0, 0
    for n, item in enumerate(products):
        quantity = int(item.get("quantity", 1))
        price = state.dec(item.get("price", "0"))
        line_total = price * quantity
        subtotal += line_total
        items_total += quantity
        physical = item.get("type", "physical") == "physical"
        shipped_items += quantity if physical else 0
        lines.append(
            _order_product(
                line_id + n,
                order_id,
                address_id if physical else 0,
                item,
                price=price,
                quantity=quantity,
                line_total=line_total,
                parent_id=line_id + item["parent"] if item.get("parent") is not None else None,
            )
        )
    line_id += len(products)
    discount = sum((state.dec(c.get("amount", 0)) for c in coupons), Decimal("0"))
    order_total = state.dec(total) if total is not None else subtotal - discount + state.dec(shipping_cost)
    order_coupons = [
        {
            "id": line_id + n,
            "coupon_id": int(c.get("coupon_id", line_id + n)),
            "order_id": order_id,
            "code": c["code"],
            "amount": state.number(c.get("amount", 0)),
            "type": int(c.get("type", 5)),
            "discount": state.number(c.get("amount", 0)),
        }
        for n, c in enumerate(coupons)
    ]
    data = _order_data(
        order_id,
        customer_id=customer_id,
        email=email,
        status_id=status_id,
        created=created,
        billing=billing,
        subtotal=subtotal,
        discount=discount,
        total=order_total,
        shipping_cost=state.dec(shipping_cost),
        currency=currency,
        ip_address=ip_address,
        items_total=items_total,
        shipping_address_count=1 if shipped_items else 0,
        payment_method=payment_method,
        store_hash=store_hash,
        extra=extra,
    )
    shipping = {**billing, **(shipping_address or {})}
    address = {
        "id": address_id,
        "order_id": order_id,
        **{k: shipping.get(k, "") for k in DEFAULT_ADDRESS},
        "items_total": shipped_items,
        "items_shipped": 0,
        "shipping_method": "Flat Rate",
        "base_cost": state.money(shipping_cost),
        "cost_ex_tax": state.money(shipping_cost),
        "cost_inc_tax": state.money(shipping_cost),
        "cost_tax": "0.0000",
        "cost_tax_class_id": 2,
        "base_handling_cost": "0.0000",
        "handling_cost_ex_tax": "0.0000",
        "handling_cost_inc_tax": "0.0000",
        "handling_cost_tax": "0.0000",
        "handling_cost_tax_class_id": 2,
        "shipping_zone_id": 1,
        "shipping_zone_name": "United States",
        "form_fields": [],
        "shipping_quotes": {
            "url": f"{settings.BIGCOMMERCE_API_URL}/stores/{store_hash}/v2/orders/{order_id}"
            f"/shipping_addresses/{address_id}/shipping_quotes",
            "resource": f"/orders/{order_id}/shipping_addresses/{address_id}/shipping_quotes",
        },
    }
    order = FakeOrder.objects.create(
        store=store,
        order_id=order_id,
        data=data,
        products=lines,
        coupons=order_coupons,
        # Digital products and gift certificates ship nowhere: an order of only those has no address.
        shipping_addresses=[address] if shipped_items else [],
    )
    if status_id not in (0, 1, 6):
        order.transactions = [state.purchase_transaction(order)]
        order.save(update_fields=["transactions"])
    for coupon in coupons:
        FakeCouponCode.objects.filter(store=store, code__iexact=coupon["code"]).update(
            current_uses=F("current_uses") + 1
        )
    return order.data


def _order_product(
    line_id: int,
    order_id: int,
    address_id: int,
    item: dict,
    *,
    price: Decimal,
    quantity: int,
    line_total: Decimal,
    parent_id: int | None,
) -> dict:
    name = item.get("name", "Sample Product")
    return {
        "id": line_id,
        "order_id": order_id,
        "product_id": int(item.get("product_id", 77 + line_id)),
        "variant_id": int(item.get("variant_id", 0)),
        "order_address_id": address_id,
        "name": name,
        "name_customer": name,
        "name_merchant": name,
        "sku": item.get("sku", f"SKU-{line_id}"),
        "upc": "",
        "type": item.get("type", "physical"),
        "base_price": state.money(price),
        "price_ex_tax": state.money(price),
        "price_inc_tax": state.money(price),
        "price_tax": "0.0000",
        "base_total": state.money(line_total),
        "total_ex_tax": state.money(line_total),
        "total_inc_tax": state.money(line_total),
        "total_tax": "0.0000",
        "weight": "1.0000",
        "width": "1.0000",
        "height": "1.0000",
        "depth": "1.0000",
        "quantity": quantity,
        "base_cost_price": "0.0000",
        "cost_price_inc_tax": "0.0000",
        "cost_price_ex_tax": "0.0000",
        "cost_price_tax": "0.0000",
        "is_refunded": False,
        "quantity_refunded": 0,
        "refund_amount": "0.0000",
        "return_id": 0,
        "wrapping_id": 0,
        "wrapping_name": "",
        "base_wrapping_cost": "0.0000",
        "wrapping_cost_ex_tax": "0.0000",
        "wrapping_cost_inc_tax": "0.0000",
        "wrapping_cost_tax": "0.0000",
        "wrapping_message": "",
        "quantity_shipped": 0,
        "event_name": None,
        "event_date": None,
        "fixed_shipping_cost": "0.0000",
        "ebay_item_id": "",
        "ebay_transaction_id": "",
        "option_set_id": None,
        "parent_order_product_id": parent_id,
        "is_bundled_product": parent_id is not None,
        "bin_picking_number": "",
        "external_id": None,
        "brand": item.get("brand", ""),
        "applied_discounts": [],
        "product_options": [],
        "configurable_fields": [],
        "gift_certificate_id": None,
        "discounted_total_inc_tax": state.money(line_total),
    }


def _order_data(
    order_id: int,
    *,
    customer_id: int,
    email: str,
    status_id: int,
    created: datetime,
    billing: dict,
    subtotal: Decimal,
    discount: Decimal,
    total: Decimal,
    shipping_cost: Decimal,
    currency: str,
    ip_address: str,
    items_total: int,
    shipping_address_count: int,
    payment_method: str,
    store_hash: str,
    extra: dict,
) -> dict:
    base = f"{settings.BIGCOMMERCE_API_URL}/stores/{store_hash}/v2/orders/{order_id}"
    zero = "0.0000"
    data = {
        "id": order_id,
        "customer_id": customer_id,
        "date_created": state.rfc2822(created),
        "date_modified": state.rfc2822(created),
        "date_shipped": "",
        "status_id": status_id,
        "status": state.STATUS_NAMES[status_id],
        "custom_status": state.STATUS_NAMES[status_id],
        "subtotal_ex_tax": state.money(subtotal),
        "subtotal_inc_tax": state.money(subtotal),
        "subtotal_tax": zero,
        "base_shipping_cost": state.money(shipping_cost),
        "shipping_cost_ex_tax": state.money(shipping_cost),
        "shipping_cost_inc_tax": state.money(shipping_cost),
        "shipping_cost_tax": zero,
        "shipping_cost_tax_class_id": 2,
        "base_handling_cost": zero,
        "handling_cost_ex_tax": zero,
        "handling_cost_inc_tax": zero,
        "handling_cost_tax": zero,
        "handling_cost_tax_class_id": 2,
        "base_wrapping_cost": zero,
        "wrapping_cost_ex_tax": zero,
        "wrapping_cost_inc_tax": zero,
        "wrapping_cost_tax": zero,
        "wrapping_cost_tax_class_id": 3,
        "total_ex_tax": state.money(total),
        "total_inc_tax": state.money(total),
        "total_tax": zero,
        "is_tax_inclusive_pricing": False,
        "items_total": items_total,
        "items_shipped": 0,
        "payment_method": payment_method,
        "payment_provider_id": "",
        "payment_status": state.PAYMENT_STATUS.get(status_id, "captured"),
        "refunded_amount": zero,
        "order_is_digital": not shipping_address_count,
        "store_credit_amount": zero,
        "gift_certificate_amount": zero,
        "ip_address": ip_address if ":" not in ip_address else "",
        "ip_address_v6": ip_address if ":" in ip_address else "",
        "geoip_country": billing["country"],
        "geoip_country_iso2": billing["country_iso2"],
        "currency_id": 1,
        "currency_code": currency,
        "currency_exchange_rate": "1.0000000000",
        "default_currency_id": 1,
        "default_currency_code": currency,
        "staff_notes": "",
        "customer_message": "",
        "discount_amount": zero,
        "coupon_discount": state.money(discount),
        "shipping_address_count": shipping_address_count,
        "is_deleted": False,
        "ebay_order_id": "0",
        "cart_id": secrets.token_hex(16),
        "billing_address": {**billing, "form_fields": []},
        "is_email_opt_in": False,
        "credit_card_type": None,
        "order_source": "www",
        "channel_id": 1,
        "external_source": None,
        "external_id": None,
        "external_merchant_id": None,
        "products": {"url": f"{base}/products", "resource": f"/orders/{order_id}/products"},
        "shipping_addresses": {
            "url": f"{base}/shipping_addresses",
            "resource": f"/orders/{order_id}/shipping_addresses",
        },
        "coupons": {"url": f"{base}/coupons", "resource": f"/orders/{order_id}/coupons"},
        "tax_provider_id": "BasicTaxProvider",
        "store_default_currency_code": "",
        "store_default_to_transactional_exchange_rate": "1.0000000000",
        "customer_locale": "en",
        "external_order_id": "",
    }
    data.update(extra)
    return data


def create_orders_in_bulk(store_hash: str, count: int, *, start: datetime | None = None) -> None:
    """Replace the store's orders with `count` clones of one spec-shaped paid order (ids 1..count, a second
    apart from `start`, 20,000 shoppers), 5,000 rows per INSERT: volume for backfills and benchmarks."""
    template = get_order(store_hash, create_order(store_hash, email="t@example.com")["id"])
    fake_store = _store(store_hash)
    FakeOrder.objects.filter(store=fake_store).delete()
    start = start or datetime(2024, 1, 1, tzinfo=UTC)
    batch = []
    for n in range(1, count + 1):
        data = {
            **template.data,
            "id": n,
            "date_created": state.rfc2822(start + timedelta(seconds=n)),
            "billing_address": {**template.data["billing_address"], "email": f"shopper{n % 20000}@example.com"},
        }
        batch.append(FakeOrder(store=fake_store, order_id=n, data=data, products=template.products,
                               coupons=template.coupons, shipping_addresses=template.shipping_addresses,
                               transactions=template.transactions))
        if len(batch) == 5000:
            FakeOrder.objects.bulk_create(batch)
            batch = []
    FakeOrder.objects.bulk_create(batch)
    state.next_ids(fake_store, orders=count + 1)


def get_order(store_hash: str, order_id: int) -> FakeOrder:
    return FakeOrder.objects.select_related("store").get(store__store_hash=store_hash, order_id=order_id)


def set_order_status(store_hash: str, order_id: int, status_id: int) -> dict:
    return state.set_status(get_order(store_hash, order_id), status_id).data


def refund_order(
    store_hash: str,
    order_id: int,
    *,
    amount: Decimal | str | float | None = None,
    reason: str = "Sandbox refund",
) -> dict:
    """Refund what is left (None) or `amount` of the order, as POST .../payment_actions/refunds would."""
    order = get_order(store_hash, order_id)
    left = state.dec(order.data["total_inc_tax"]) - state.refunded_total(order.store, order_id)
    if amount is not None:
        items = [{"item_type": "ORDER", "item_id": order_id, "amount": state.dec(amount)}]
    else:
        items = _full_refund_items(order, left)
    refund = state.create_refund(order, items=items, reason=reason)
    return state.refund_payload(refund)


def _full_refund_items(order: FakeOrder, left: Decimal) -> list[dict]:
    open_lines = [(p, int(p["quantity"]) - int(p["quantity_refunded"])) for p in order.products]
    open_lines = [(p, q) for p, q in open_lines if q > 0]
    worth = sum((state.dec(p["price_inc_tax"]) * q for p, q in open_lines), Decimal("0"))
    if not open_lines or worth <= 0:
        return [{"item_type": "ORDER", "item_id": order.order_id, "amount": left}]
    items, given = [], Decimal("0")
    for n, (product, quantity) in enumerate(open_lines):
        share = (
            left - given
            if n == len(open_lines) - 1
            else (left * state.dec(product["price_inc_tax"]) * quantity / worth).quantize(state.CENT)
        )
        given += share
        items.append(
            {"item_type": "PRODUCT", "item_id": product["id"], "quantity": quantity, "amount": share}
        )
    return items


# --- webhooks -----------------------------------------------------------------------------------


def _scope_matches(subscribed: str, scope: str) -> bool:
    return subscribed == scope or (subscribed.endswith("/*") and scope.startswith(subscribed[:-1]))


def webhook_payload(store: FakeStore, *, scope: str, data: dict[str, Any], hash: str | None = None) -> dict:
    """The documented callback: scope, store_id (string), data, hash (sha1 of data), created_at, producer."""
    digest = (
        hash or hashlib.sha1(json.dumps(data, sort_keys=True).encode(), usedforsecurity=False).hexdigest()
    )
    return {
        "scope": scope,
        "store_id": str(store.store_id),
        "data": data,
        "hash": digest,
        "created_at": int(time.time()),
        "producer": f"stores/{store.store_hash}",
    }


def signature_headers(
    body: str, *, secret: str | None = None, msg_id: str | None = None, timestamp: float | None = None
) -> dict[str, str]:
    """The Standard Webhooks headers BigCommerce signs a callback with (reference §2.5).

    The key is the base64 of the app's client secret (`secret`, default the configured one); `msg_id`
    and `timestamp` (Unix seconds, default now) let a test make a stale or replayed signature.
    """
    key = base64.b64encode((secret or settings.BIGCOMMERCE_CLIENT_SECRET).encode()).decode()
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    at = datetime.fromtimestamp(int(time.time() if timestamp is None else timestamp), tz=UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(key).sign(msg_id=msg_id, timestamp=at, data=body),
    }


def deliver_webhook(
    store_hash: str, *, scope: str, data: dict[str, Any], hash: str | None = None, signed: bool = True
) -> list[requests.Response]:
    """POST the callback to every active hook of the store subscribed to `scope`, with its custom headers.

    Signed the Standard Webhooks way unless `signed` is False (BigCommerce has not documented that
    every hook carries the signature yet, so the app must take both).
    """
    store = _store(store_hash)
    payload = webhook_payload(store, scope=scope, data=data, hash=hash)
    body = json.dumps(payload)
    session = build_session()
    responses = []
    for hook in FakeHook.objects.filter(store=store, is_active=True).order_by("id"):
        if not _scope_matches(hook.scope, scope):
            continue
        headers = {"Content-Type": "application/json", **(hook.headers or {})}
        if signed:
            headers.update(signature_headers(body))
        responses.append(
            session.post(hook.destination, data=body, headers=headers, timeout=10, allow_redirects=False)
        )
    return responses


def delete_customer(store_hash: str, customer_id: int) -> list[requests.Response]:
    """Delete a customer as the control panel does: gone from GET /v3/customers, then
    store/customer/deleted delivered to the store's hooks."""
    FakeCustomer.objects.filter(store=_store(store_hash), pk=customer_id).delete()
    return deliver_webhook(store_hash, scope="store/customer/deleted", data={"type": "customer", "id": int(customer_id)})


def fire_order_event(
    store_hash: str,
    order_id: int,
    *,
    scope: str = "store/order/created",
    previous_status_id: int | None = None,
    refund_id: int | None = None,
    signed: bool = True,
) -> list[requests.Response]:
    """deliver_webhook with the order `data` of reference §2.3 (created, statusUpdated, refund/created)."""
    data: dict[str, Any] = {"type": "order", "id": int(order_id)}
    if scope.endswith("statusUpdated"):
        order = get_order(store_hash, order_id)
        data["status"] = {
            "previous_status_id": previous_status_id or 0,
            "new_status_id": order.data["status_id"],
        }
    if scope.endswith("refund/created"):
        data["refund"] = {"refund_id": refund_id}
    return deliver_webhook(store_hash, scope=scope, data=data, signed=signed)


# --- store credit and gift certificates (rules in sandbox.bigcommerce.credit) ---------------------------


def store_credit(store_hash: str, customer_id: int) -> Decimal:
    """The customer's store credit as BigCommerce holds it."""
    return credit.store_credit_of(FakeCustomer.objects.get(store__store_hash=store_hash, pk=customer_id))


def set_store_credit(store_hash: str, customer_id: int, amount: Decimal | str) -> None:
    """What the merchant does in the control panel: the balance set to `amount`."""
    customer = FakeCustomer.objects.get(store__store_hash=store_hash, pk=customer_id)
    customer.data["store_credit_amounts"] = [{"amount": state.number(amount)}]
    customer.save(update_fields=["data"])


def order_paid_with_store_credit(store_hash: str, *, customer_id: int, credit_amount: Decimal | str,
                                 **order) -> dict:
    """A checkout that spends `credit_amount` of the customer's credit (refused past the balance): the
    balance goes down and the order says so in `store_credit_amount`."""
    store = create_store(store_hash)
    customer = FakeCustomer.objects.get(store=store, pk=customer_id)
    credit.store_credit_spend(store=store, customer_id=customer_id, amount=credit_amount)
    order.setdefault("email", customer.email)
    return create_order(store_hash, customer_id=customer_id, store_credit_amount=state.money(credit_amount),
                        **order)


def gift_certificate(store_hash: str, code: str) -> dict | None:
    found = FakeGiftCertificate.objects.filter(store__store_hash=store_hash, code__iexact=code).first()
    return credit.gift_certificate_payload(found) if found else None


def order_paid_with_gift_certificate(store_hash: str, *, code: str, amount: Decimal | str, **order) -> dict:
    """A checkout that spends `amount` of a gift certificate (refused unless active and covered)."""
    store = create_store(store_hash)
    credit.gift_certificate_redeem(store=store, code=code, amount=amount)
    return create_order(store_hash, gift_certificate_amount=state.money(amount), **order)
