"""Order and customer lifecycle services: BigCommerce webhooks in, snapshots and Friendbuy events out.

Every order change is handled the same way, whatever the webhook said (reference bigcommerce §2.3:
payloads carry only ids and arrive out of order): re-fetch the order, upsert the snapshot under a
row lock, record what changed as OrderEvents, and owe Friendbuy a purchase event (outbox, unique
per order) the first time the order is seen paid. Backfill and reconciliation reuse `order_sync`,
so running them again only adds what is missing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import partial

from django.conf import settings
from django.db import IntegrityError, reset_queries, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from storefront.bigcommerce import ORDER_WITH_CONSIGNMENTS, BigCommerceClient, BigCommerceNotFound
from storefront.clients import bigcommerce_for
from storefront.models import Store, WebhookDelivery
from storefront.services import outbound_calls_batched

from . import lifecycle_selectors as selectors
from .attribution import AttributionInfo, attribution_for_order
from .identity import identity_upsert, normalize_email
from .models import (
    CustomerIdentity,
    FriendbuyConnection,
    OrderEvent,
    OrderSnapshot,
    OutboxEvent,
    ReconciliationRun,
    StoreSettings,
)
from .outbox import outbox_enqueue, outbox_replay
from .privacy import customer_deletion_confirm, customer_erase

logger = logging.getLogger(__name__)

# Sent after commit with sender=OrderEvent, event=<OrderEvent>; rewards and fraud subscribe to it.
order_event_recorded = Signal()

CENT = Decimal("0.01")
ZERO = Decimal("0")
STATUS_EVENT_KINDS = {
    selectors.CANCELLED: OrderEvent.Kind.CANCELLED,
    selectors.DECLINED: OrderEvent.Kind.DECLINED,
    selectors.REFUNDED: OrderEvent.Kind.REFUNDED,
    selectors.PARTIALLY_REFUNDED: OrderEvent.Kind.PARTIALLY_REFUNDED,
    selectors.DISPUTED: OrderEvent.Kind.DISPUTED,
}
STATUS_TIMESTAMPS = {
    selectors.CANCELLED: "cancelled_at",
    selectors.DECLINED: "declined_at",
    selectors.REFUNDED: "refunded_at",
    selectors.DISPUTED: "disputed_at",
}
REFUND_HINTS = ("refund",)
# The keys of orderConsignment_Get (the object structure of an order's consignments).
CONSIGNMENT_KINDS = frozenset({"pickups", "shipping", "downloads", "email"})


def _dec(value) -> Decimal:
    if value in (None, ""):
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _money_out(value: Decimal) -> float:
    """A JSON number for Friendbuy; float of a 2-decimal Decimal round-trips exactly in JSON."""
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _when(value) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return parse_datetime(value)
    return None


@dataclass
class OrderDocuments:
    """Everything re-fetched about one order."""

    order: dict
    products: list[dict]
    coupons: list[dict]
    shipping_addresses: list[dict]
    refunds: list[dict] | None
    transactions: list[dict] | None


# The documents of the order being synced in this context, for subscribers that run on commit inside the
# sync: fraud reads the billing address and transactions BigCommerce has just answered instead of asking again.
_documents_in_sync: ContextVar[tuple[int, int, OrderDocuments] | None] = ContextVar(
    "order_sync_documents", default=None
)


def documents_just_fetched(*, store_id: int, order_id: int) -> OrderDocuments | None:
    """What order_sync re-fetched for this order, while that sync (and its on-commit subscribers) runs."""
    current = _documents_in_sync.get()
    return current[2] if current is not None and current[:2] == (store_id, order_id) else None


def _has_warning(value) -> bool:
    if isinstance(value, dict):
        return "__warning__" in value or any(_has_warning(item) for item in value.values())
    return isinstance(value, list) and any(_has_warning(item) for item in value)


def _line_items_of(consignments) -> list[dict] | None:
    """Every line item of a list of consignments, or None unless each one embeds its items as objects."""
    if not isinstance(consignments, list):
        return None
    found: list[dict] = []
    for consignment in consignments:
        items = consignment.get("line_items") if isinstance(consignment, dict) else None
        # An order product has an id and a quantity; a `products_Resource` link has only url and resource.
        if not isinstance(items, list) or not all(
            isinstance(item, dict) and "id" in item and "quantity" in item for item in items
        ):
            return None
        found.extend(items)
    return found


def _consignment_contents(order: dict) -> tuple[list[dict], list[dict]] | None:
    """(products, shipping addresses) from the consignments embedded in `order`, or None when the answer
    can't be trusted to hold them all and /products and /shipping_addresses must be asked instead.

    Trusted only in the object structure, with every consignment's line items given as objects, no
    `__warning__` anywhere (BigCommerce cuts a consignment's line items at 50 and says so in one), and
    counts that agree with the order's own: `items_total` (whether it counts bundled children is not
    documented, so either sum will do) and `shipping_address_count`. Shipping consignments name their
    address fields as the shipping address resource does (shippingConsignment_Base), so they serve as is.
    """
    consignments = order.get("consignments")
    # Absent (not asked for, or the include ignored), a resource link, or the legacy array structure.
    if not isinstance(consignments, dict) or not consignments.keys() & CONSIGNMENT_KINDS:
        return None
    if _has_warning(order):
        return None
    shipping = consignments.get("shipping") or []
    email = consignments.get("email") or {}
    products: list[dict] = []
    for kind in (
        consignments.get("pickups") or [],
        shipping,
        consignments.get("downloads") or [],
        (email.get("gift_certificates") or []) if isinstance(email, dict) else None,
    ):
        items = _line_items_of(kind)
        if items is None:
            return None
        products.extend(items)
    if not products:
        # Every order has a line; none embedded means a partial answer, whatever the counts say.
        return None
    try:
        quantities = {
            sum(int(p.get("quantity") or 0) for p in products),
            sum(int(p.get("quantity") or 0) for p in products if not p.get("parent_order_product_id")),
        }
        items_total, address_count = order.get("items_total"), order.get("shipping_address_count")
        if items_total is not None and int(items_total) not in quantities:
            return None
        if address_count is not None and int(address_count) != len(shipping):
            return None
        # In id order, as /products answers them.
        return sorted(products, key=lambda p: int(p["id"])), shipping
    except (TypeError, ValueError):
        # A count or id that is not a number: not an answer to build a snapshot on.
        return None


def _fetch(
    client: BigCommerceClient,
    order_id: int,
    *,
    order: dict | None,
    existing: OrderSnapshot | None,
    refunds_hint: bool,
) -> OrderDocuments:
    """The order and what the snapshot needs of it, in as few calls as BigCommerce allows.

    Alone, the order comes with its consignments, which hold its products and shipping addresses; a
    given `order` (a page of the order list) holds them when the list was asked for them (backfill).
    Those two are asked separately whenever the embedded ones are missing or not whole.
    """
    order = order if order is not None else client.get_order_with_consignments(order_id)
    status_id = int(order.get("status_id") or 0)
    payment_status = str(order.get("payment_status") or "")
    embedded = _consignment_contents(order)
    if embedded is not None:
        products, addresses = embedded
    else:
        products = list(client.iter_order_products(order_id))
        addresses = (
            client.get_order_shipping_addresses(order_id) if order.get("shipping_address_count", 1) else []
        )
    coupons = client.get_order_coupons(order_id) or []
    wants_refunds = (
        refunds_hint
        or status_id in (selectors.REFUNDED, selectors.PARTIALLY_REFUNDED)
        or any(hint in payment_status for hint in REFUND_HINTS)
    )
    refunds = client.list_order_refunds(order_id) if wants_refunds else None
    # Transactions only matter once: to date the first payment of an order seen paid for the first time.
    first_paid = selectors.status_is_paid(status_id) and (existing is None or existing.first_paid_at is None)
    transactions = client.get_order_transactions(order_id) if first_paid else None
    return OrderDocuments(order, products, coupons or [], addresses or [], refunds, transactions)


def _paid_at(transactions: list[dict] | None) -> datetime:
    for transaction_row in transactions or []:
        if transaction_row.get("event") in ("purchase", "capture") and transaction_row.get("status") == "ok":
            when = _when(transaction_row.get("date_created"))
            if when is not None:
                return when
    return timezone.now()


def _line_items(products: list[dict]) -> list[dict]:
    return [
        {
            "sku": str(p.get("sku") or f"product-{p.get('product_id', '')}"),
            "name": str(p.get("name") or ""),
            "quantity": int(p.get("quantity") or 0),
            "price": str(_dec(p.get("price_ex_tax", p.get("base_price")))),
        }
        for p in products
        # Bundled children are priced in their parent line.
        if not p.get("parent_order_product_id")
    ]


def _apply(snapshot: OrderSnapshot, docs: OrderDocuments, attribution: AttributionInfo | None) -> None:
    order = docs.order
    billing = order.get("billing_address") or {}
    email = str(billing.get("email") or order.get("email") or "").strip()
    snapshot.status_id = int(order.get("status_id") or 0)
    snapshot.status_label = str(order.get("status") or "")[:100]
    snapshot.payment_status = str(order.get("payment_status") or "")[:50]
    snapshot.channel_id = order.get("channel_id") or None
    for name in (
        "subtotal_ex_tax",
        "subtotal_inc_tax",
        "total_ex_tax",
        "total_inc_tax",
        "discount_amount",
        "coupon_discount",
        "shipping_cost_inc_tax",
    ):
        setattr(snapshot, name, _dec(order.get(name)))
    snapshot.currency_code = str(order.get("currency_code") or "")[:3]
    snapshot.default_currency_code = str(order.get("default_currency_code") or snapshot.currency_code)[:3]
    snapshot.store_default_currency_code = str(order.get("store_default_currency_code") or "")[:3]
    rate = _dec(order.get("store_default_to_transactional_exchange_rate") or 1) or Decimal(1)
    snapshot.exchange_rate = rate
    snapshot.default_currency_total = (snapshot.total_inc_tax / rate).quantize(Decimal("0.0001"))
    snapshot.customer_id = int(order.get("customer_id") or 0)
    if snapshot.erased_at is None:
        snapshot.email = email[:254]
        snapshot.normalized_email = normalize_email(email)[:254]
        snapshot.billing_first_name = str(billing.get("first_name") or "")[:255]
        snapshot.billing_last_name = str(billing.get("last_name") or "")[:255]
        snapshot.ip_address = str(order.get("ip_address") or order.get("ip_address_v6") or "")[:45]
        if attribution and attribution.user_agent:
            snapshot.user_agent = attribution.user_agent
        snapshot.shipping_addresses = [
            {
                k: a.get(k, "")
                for k in (
                    "first_name",
                    "last_name",
                    "street_1",
                    "street_2",
                    "city",
                    "state",
                    "zip",
                    "country_iso2",
                )
            }
            for a in docs.shipping_addresses
        ]
    snapshot.coupon_codes = [str(c.get("code")) for c in docs.coupons if c.get("code")]
    snapshot.line_items = _line_items(docs.products)
    if docs.refunds is not None:
        snapshot.refunded_amount = sum((_dec(r.get("total_amount")) for r in docs.refunds), ZERO)
    snapshot.is_paid = selectors.status_is_paid(snapshot.status_id)
    snapshot.bc_date_created = _when(order.get("date_created"))
    snapshot.bc_date_modified = _when(order.get("date_modified"))
    snapshot.cart_id = str(order.get("cart_id") or "")[:64]


@dataclass(frozen=True)
class _EventDraft:
    """An order event about to be recorded, keyed so that each fact is recorded once per order."""

    kind: str
    key: str
    at: datetime
    from_status: int | None = None
    to_status: int | None = None
    amount: Decimal | None = None


def _save_events(
    snapshot: OrderSnapshot, drafts: list[_EventDraft], *, created: bool, delivery: WebhookDelivery | None
) -> list[OrderEvent]:
    """Insert, in one statement, the drafts whose key this order has not recorded yet.

    Runs under the snapshot's row lock (order_sync), so no other sync of this order can insert the same
    key between the check and the insert; the unique (order, key) constraint stays the backstop.
    Subscribers hear of each new event after commit.
    """
    unique: dict[str, _EventDraft] = {}
    for draft in drafts:
        unique.setdefault(draft.key[:120], draft)
    recorded = (
        set()
        if created
        else set(
            OrderEvent.objects.filter(order=snapshot, key__in=list(unique)).values_list("key", flat=True)
        )
    )
    events = OrderEvent.objects.bulk_create(
        [
            OrderEvent(
                store_id=snapshot.store_id,
                order=snapshot,
                kind=draft.kind,
                key=key,
                at=draft.at,
                delivery=delivery,
                from_status=draft.from_status,
                to_status=draft.to_status,
                amount=draft.amount,
            )
            for key, draft in unique.items()
            if key not in recorded
        ]
    )
    for event in events:
        transaction.on_commit(partial(order_event_recorded.send, sender=OrderEvent, event=event))
    return events


def purchase_amount(*, snapshot: OrderSnapshot, field: str) -> Decimal:
    """The amount Friendbuy gets, per the store's `purchase_amount_field` (see StoreSettings).

    Default: subtotal excluding tax minus order-level discounts (coupon + manual): the merchandise the
    shopper actually paid for. Tax and shipping are not what a referral program rewards, and a
    friend's 20% coupon must not count as spend. Never negative.
    """
    discounts = snapshot.coupon_discount + snapshot.discount_amount
    amounts = {
        StoreSettings.AmountField.SUBTOTAL_EX_TAX: snapshot.subtotal_ex_tax - discounts,
        StoreSettings.AmountField.SUBTOTAL_INC_TAX: snapshot.subtotal_inc_tax - discounts,
        StoreSettings.AmountField.TOTAL_EX_TAX: snapshot.total_ex_tax,
        StoreSettings.AmountField.TOTAL_INC_TAX: snapshot.total_inc_tax,
    }
    return max(ZERO, amounts.get(field, amounts[StoreSettings.AmountField.SUBTOTAL_EX_TAX])).quantize(CENT)


def coupon_is_referral_code(store: Store, code: str, *, attribution: AttributionInfo | None = None) -> bool:
    """Is this coupon a Friendbuy friend/referral code? Only when attribution capture recorded it as
    the friend coupon; we have no other trustworthy way to know (Friendbuy's codes look like any code)."""
    return bool(
        code
        and attribution
        and attribution.coupon_code
        and attribution.coupon_code.strip().upper() == code.strip().upper()
    )


def _additional_properties(snapshot: OrderSnapshot, attribution: AttributionInfo | None) -> dict[str, str]:
    # Friendbuy keeps only string values here (reference friendbuy §2.5.1).
    values = {
        "deviceId": attribution.device_id if attribution else "",
        "bcOrderStatus": str(snapshot.status_id),
        "channelId": str(snapshot.channel_id or ""),
        **fraud_properties(snapshot.email),
    }
    return {key: value for key, value in values.items() if value}


def fraud_properties(email: str | None) -> dict[str, str]:
    """Fraud inputs for Friendbuy's additionalProperties (strings only): hash of the matching email, disposable flag."""
    from fraud.normalise import email_domain, is_disposable_domain

    normalized = normalize_email(email)
    if not normalized:
        return {}
    return {
        "emailNormalizedHash": hashlib.sha256(normalized.encode()).hexdigest(),
        "disposableEmail": "true" if is_disposable_domain(email_domain(email)) else "false",
    }


def purchase_payload(
    *,
    snapshot: OrderSnapshot,
    identity: CustomerIdentity | None,
    attribution: AttributionInfo | None,
    amount_field: str,
) -> dict:
    """The POST /v1/event/purchase body for an order (reference friendbuy §2.5.1), JSON-ready."""
    codes = snapshot.coupon_codes or []
    referral = next(
        (c for c in codes if coupon_is_referral_code(snapshot.store, c, attribution=attribution)), None
    )
    payload = {
        "orderId": str(snapshot.bc_order_id),
        "customerId": identity.friendbuy_customer_id if identity else str(snapshot.customer_id or ""),
        "email": snapshot.email,
        "firstName": snapshot.billing_first_name,
        "lastName": snapshot.billing_last_name,
        "amount": _money_out(purchase_amount(snapshot=snapshot, field=amount_field)),
        "currency": snapshot.default_currency_code
        or snapshot.currency_code
        or snapshot.store.default_currency,
        "isNewCustomer": selectors.is_new_customer(snapshot=snapshot),
        "couponCode": referral or (codes[0] if codes else ""),
        "attributionId": attribution.attribution_id if attribution else "",
        "referralCode": attribution.referral_code if attribution else "",
        "products": [
            {
                "sku": item["sku"],
                "name": item["name"],
                "quantity": item["quantity"],
                "price": _money_out(_dec(item["price"])),
            }
            for item in snapshot.line_items
        ],
        "ipAddress": snapshot.ip_address or (attribution.ip_address if attribution else ""),
        "userAgent": snapshot.user_agent,
        "additionalProperties": _additional_properties(snapshot, attribution),
    }
    # Friendbuy validates the fields it gets: leave out the empty optional ones rather than send "".
    return {key: value for key, value in payload.items() if value not in ("", None, {}, [])}


def _ensure_purchase(
    snapshot: OrderSnapshot, identity: CustomerIdentity | None, attribution: AttributionInfo | None
) -> OutboxEvent | None:
    """Owe Friendbuy the purchase of an order that was paid and is not voided; once per order."""
    if snapshot.first_paid_at is None or snapshot.status_id in selectors.VOIDED_STATUSES:
        return None
    if snapshot.erased_at is not None:
        return None
    if not FriendbuyConnection.objects.filter(store_id=snapshot.store_id).exists():
        # Nothing to send to yet; backfill or reconciliation sends it once Friendbuy is connected.
        return None
    key = f"purchase:{snapshot.bc_order_id}"
    if OutboxEvent.objects.filter(
        store_id=snapshot.store_id, kind=OutboxEvent.Kind.PURCHASE, natural_key=key
    ).exists():
        return None
    amount_field = selectors.store_settings(store=snapshot.store).purchase_amount_field
    event, _ = outbox_enqueue(
        store=snapshot.store,
        kind=OutboxEvent.Kind.PURCHASE,
        natural_key=key,
        order=snapshot,
        identity=identity,
        payload=purchase_payload(
            snapshot=snapshot, identity=identity, attribution=attribution, amount_field=amount_field
        ),
    )
    return event


def _lock_snapshot(store: Store, order_id: int, *, seen: bool) -> tuple[OrderSnapshot, bool]:
    """The order's snapshot under a row lock, created if missing (concurrent creators meet on the constraint).

    `seen`: whether a snapshot existed a moment ago; it decides which statement to try first, so the
    common cases (a new order, a known order) each take one round trip for the row.
    """
    if seen:
        snapshot = OrderSnapshot.objects.select_for_update().filter(store=store, bc_order_id=order_id).first()
        if snapshot is not None:
            return snapshot, False
    try:
        with transaction.atomic():
            # The new row stays locked by this transaction until it commits.
            return OrderSnapshot.objects.create(store=store, bc_order_id=order_id), True
    except IntegrityError:
        return OrderSnapshot.objects.select_for_update().get(store=store, bc_order_id=order_id), False


def _record_changes(
    snapshot: OrderSnapshot, *, created: bool, previous_status: int | None, docs: OrderDocuments
) -> list[_EventDraft]:
    """What this sync learnt about the order, as event drafts; sets the first-paid and void dates."""
    drafts: list[_EventDraft] = []
    now = timezone.now()
    status = snapshot.status_id
    at = snapshot.bc_date_modified or now
    if created:
        drafts.append(
            _EventDraft(
                OrderEvent.Kind.CREATED,
                "created",
                at=snapshot.bc_date_created or now,
                to_status=status,
                amount=snapshot.total_inc_tax,
            )
        )
    if previous_status is not None and previous_status != status:
        drafts.append(
            _EventDraft(
                OrderEvent.Kind.STATUS_CHANGED,
                f"status:{previous_status}>{status}:{int(at.timestamp())}",
                at=at,
                from_status=previous_status,
                to_status=status,
            )
        )
    if snapshot.is_paid and snapshot.first_paid_at is None:
        snapshot.first_paid_at = _paid_at(docs.transactions)
        drafts.append(
            _EventDraft(
                OrderEvent.Kind.PAID,
                "paid",
                at=snapshot.first_paid_at,
                from_status=previous_status,
                to_status=status,
                amount=snapshot.total_inc_tax,
            )
        )
    kind = STATUS_EVENT_KINDS.get(status)
    if kind and (created or previous_status != status):
        stamp = STATUS_TIMESTAMPS.get(status)
        if stamp and getattr(snapshot, stamp) is None:
            setattr(snapshot, stamp, at)
        amount = (
            snapshot.refunded_amount if status in (selectors.REFUNDED, selectors.PARTIALLY_REFUNDED) else None
        )
        key = kind if status != selectors.PARTIALLY_REFUNDED else f"{kind}:{snapshot.refunded_amount}"
        drafts.append(
            _EventDraft(kind, key, at=at, from_status=previous_status, to_status=status, amount=amount)
        )
    running = ZERO
    for refund in sorted(docs.refunds or [], key=lambda r: int(r.get("id") or 0)):
        running += _dec(refund.get("total_amount"))
        full = running >= snapshot.total_inc_tax > 0
        refunded_at = _when(refund.get("created")) or now
        if full and snapshot.refunded_at is None:
            snapshot.refunded_at = refunded_at
        drafts.append(
            _EventDraft(
                OrderEvent.Kind.REFUNDED if full else OrderEvent.Kind.PARTIALLY_REFUNDED,
                f"refund:{refund.get('id')}",
                at=refunded_at,
                from_status=previous_status,
                to_status=status,
                amount=_dec(refund.get("total_amount")),
            )
        )
    return drafts


@outbound_calls_batched()
def order_sync(
    *,
    store: Store,
    order_id: int,
    delivery: WebhookDelivery | None = None,
    order: dict | None = None,
    refunds_hint: bool = False,
    client: BigCommerceClient | None = None,
) -> OrderSnapshot | None:
    """Re-fetch one order and bring its snapshot, events and purchase event up to date.

    `order` skips the order GET when the caller already has it (backfill pages); its products and
    shipping addresses are then fetched separately (see _fetch). Returns None when BigCommerce no
    longer has the order. The call log of the re-fetch is written in one statement at the end.
    """
    client = client or bigcommerce_for(store)
    existing = (
        OrderSnapshot.objects.filter(store=store, bc_order_id=order_id).only("id", "first_paid_at").first()
    )
    try:
        docs = _fetch(client, order_id, order=order, existing=existing, refunds_hint=refunds_hint)
    except BigCommerceNotFound:
        logger.info(
            "Order %s of store %s is gone from BigCommerce; nothing to sync.", order_id, store.store_hash
        )
        return None
    raw = docs.order
    email = str((raw.get("billing_address") or {}).get("email") or "")
    attribution = attribution_for_order(
        store=store,
        order_id=order_id,
        cart_id=raw.get("cart_id") or None,
        customer_id=int(raw.get("customer_id") or 0) or None,
        email=email or None,
    )
    in_sync = _documents_in_sync.set((store.pk, order_id, docs))
    try:
        return _save_sync(store, order_id, docs, attribution, seen=existing is not None, delivery=delivery)
    finally:
        _documents_in_sync.reset(in_sync)


def _save_sync(
    store: Store,
    order_id: int,
    docs: OrderDocuments,
    attribution: AttributionInfo | None,
    *,
    seen: bool,
    delivery: WebhookDelivery | None,
) -> OrderSnapshot:
    """order_sync's writes, in one transaction; the subscribers run as it commits."""
    with transaction.atomic():
        snapshot, created = _lock_snapshot(store, order_id, seen=seen)
        snapshot.store = store
        previous_status = None if created else snapshot.status_id
        _apply(snapshot, docs, attribution)
        identity = None
        if snapshot.erased_at is None:
            identity = identity_upsert(
                store=store,
                bc_customer_id=snapshot.customer_id or None,
                email=snapshot.email,
                first_name=snapshot.billing_first_name,
                last_name=snapshot.billing_last_name,
            )
            snapshot.identity = identity or snapshot.identity
        drafts = _record_changes(snapshot, created=created, previous_status=previous_status, docs=docs)
        snapshot.save()
        _save_events(snapshot, drafts, created=created, delivery=delivery)
        _ensure_purchase(snapshot, identity or snapshot.identity, attribution)
    return snapshot


# --- customers ----------------------------------------------------------------------------------


def _fields_hash(fields: dict) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


def customer_sync(
    *, store: Store, customer_id: int, signed_up: bool, delivery: WebhookDelivery | None = None
) -> CustomerIdentity | None:
    """Re-fetch a customer; on sign-up owe Friendbuy an account-sign-up event; upsert the profile when
    its fields changed (the natural key carries a hash of them, so unchanged fields add nothing)."""
    customer = bigcommerce_for(store).get_customer(customer_id)
    if customer is None:
        return None
    email = str(customer.get("email") or "")
    first, last = str(customer.get("first_name") or ""), str(customer.get("last_name") or "")
    connected = FriendbuyConnection.objects.filter(store=store).exists()
    with transaction.atomic():
        identity = identity_upsert(
            store=store, bc_customer_id=customer_id, email=email, first_name=first, last_name=last
        )
        if identity is None or not connected:
            return identity
        profile = {
            "customerId": identity.friendbuy_customer_id,
            "email": email,
            "firstName": first,
            "lastName": last,
        }
        profile = {key: value for key, value in profile.items() if value}
        if signed_up:
            attribution = attribution_for_order(
                store=store, order_id=0, cart_id=None, customer_id=customer_id, email=email or None
            )
            sign_up = {
                **profile,
                "ipAddress": str(customer.get("registration_ip_address") or "")
                or (attribution.ip_address if attribution else ""),
                "couponCode": attribution.coupon_code if attribution else "",
                "attributionId": attribution.attribution_id if attribution else "",
                "referralCode": attribution.referral_code if attribution else "",
                "userAgent": attribution.user_agent if attribution else "",
                "additionalProperties": {
                    **({"deviceId": attribution.device_id} if attribution and attribution.device_id else {}),
                    **fraud_properties(email),
                },
            }
            outbox_enqueue(
                store=store,
                kind=OutboxEvent.Kind.SIGN_UP,
                natural_key=f"signup:{customer_id}",
                identity=identity,
                payload={k: v for k, v in sign_up.items() if v not in ("", {})},
            )
        outbox_enqueue(
            store=store,
            kind=OutboxEvent.Kind.CUSTOMER,
            natural_key=f"customer:{customer_id}:{_fields_hash(profile)}",
            identity=identity,
            payload=profile,
        )
    return identity


# --- webhook handlers (registered in ReferralsConfig.ready) -------------------------------------


def handle_order_deliveries(deliveries: Sequence[WebhookDelivery]) -> None:
    """One re-fetch for the deliveries of one order (storefront.handlers groups them): the events it
    records point at the newest, and a refund delivery among them makes it read the refunds."""
    newest = deliveries[-1]
    order_sync(
        store=newest.store,
        order_id=int(newest.resource_id),
        delivery=newest,
        refunds_hint=any("refund" in delivery.scope for delivery in deliveries),
    )


def handle_customer_delivery(delivery: WebhookDelivery) -> None:
    customer_id = int(delivery.resource_id)
    if delivery.scope.endswith("/deleted"):
        # The delivery is authenticated, but what it claims is checked at the source before anything
        # irreversible: a forged or mistaken deletion must not erase a customer who still exists.
        customer_deletion_confirm(store=delivery.store, customer_id=customer_id)
        customer_erase(store=delivery.store, bc_customer_id=customer_id, actor=f"webhook:{delivery.scope}")
    elif delivery.scope.endswith("/created"):
        customer_sync(store=delivery.store, customer_id=customer_id, signed_up=True, delivery=delivery)
    else:
        customer_sync(store=delivery.store, customer_id=customer_id, signed_up=False, delivery=delivery)


# --- backfill and reconciliation ----------------------------------------------------------------


# Below the 250 page limit, so a full window never costs a second (empty) page request.
ID_WINDOW = 200


def iter_orders_since(
    client: BigCommerceClient, *, since: datetime, with_consignments: bool = False
) -> Iterator[dict]:
    """Every order created since `since`, oldest id first, fetched in id windows (keyset paging).

    Windows of `min_id`/`max_id` rather than page numbers: orders created or archived while we read
    don't shift later pages, and each request asks BigCommerce for a bounded slice. An empty window
    is followed by one probe (`min_id` only, limit 1) to jump over gaps in the ids or learn we're done.
    `with_consignments`: each order comes with its products and shipping addresses (order_sync then
    needs no call for them), for callers that sync every order; heavier pages otherwise.
    """
    includes = ORDER_WITH_CONSIGNMENTS if with_consignments else {}
    next_id = 1
    while True:
        found = False
        for order in client.iter_orders(
            min_date_created=since, min_id=next_id, max_id=next_id + ID_WINDOW - 1, **includes
        ):
            found = True
            yield order
        if found:
            next_id += ID_WINDOW
            continue
        probe = next(iter(client.iter_orders(min_date_created=since, min_id=next_id, limit=1)), None)
        if probe is None:
            return
        next_id = int(probe["id"])


def orders_backfill(*, store: Store, since: datetime, on_order: Callable[[int], None] | None = None) -> dict:
    """Sync every order created since `since`, oldest first, streaming one API page at a time.

    Memory stays flat: no list of orders, no per-order cache; Django's debug query log is reset as
    we go. Safe to run again: order_sync only adds what is missing.
    """
    client = bigcommerce_for(store)
    counts = {"orders": 0, "paid": 0, "errors": 0}
    for order in iter_orders_since(client, since=since, with_consignments=True):
        order_id = int(order["id"])
        try:
            snapshot = order_sync(store=store, order_id=order_id, order=order, client=client)
        except Exception:
            logger.exception("Backfill of order %s (store %s) failed.", order_id, store.store_hash)
            counts["errors"] += 1
            snapshot = None
        counts["orders"] += 1
        counts["paid"] += int(bool(snapshot and snapshot.first_paid_at))
        if on_order is not None:
            on_order(order_id)
        if counts["orders"] % 500 == 0:
            reset_queries()
    return counts


def orders_reconcile(*, store: Store, days: int | None = None) -> ReconciliationRun:
    """Compare the last `days` of paid BigCommerce orders with purchase events and re-queue the gaps.

    A gap is a paid order without a purchase event, or whose event is failed/dead. Pending and
    sending events are in flight, not gaps.
    """
    days = days or settings.LIFECYCLE_RECONCILE_DAYS
    run = ReconciliationRun.objects.create(store=store, days=days)
    errors: list[str] = []
    client = bigcommerce_for(store)
    since = timezone.now() - timedelta(days=days)
    try:
        for order in iter_orders_since(client, since=since):
            status = int(order.get("status_id") or 0)
            if not selectors.status_is_paid(status):
                continue
            run.orders_checked += 1
            order_id = int(order["id"])
            event = selectors.purchase_event_for(store=store, bc_order_id=order_id)
            if event is not None and event.state in (
                OutboxEvent.State.SENT,
                OutboxEvent.State.PENDING,
                OutboxEvent.State.SENDING,
            ):
                continue
            run.gaps_found += 1
            try:
                if event is None:
                    order_sync(store=store, order_id=order_id, order=order, client=client)
                    run.requeued += int(
                        selectors.purchase_event_for(store=store, bc_order_id=order_id) is not None
                    )
                else:
                    run.requeued += outbox_replay(event_ids=[event.pk])
            except Exception as exc:
                errors.append(f"order {order_id}: {type(exc).__name__}: {exc}")
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
        logger.exception("Reconciliation of store %s failed.", store.store_hash)
    run.finished_at = timezone.now()
    run.errors = "\n".join(errors)[:20000]
    run.save()
    return run


def reconcile_all(*, days: int | None = None) -> list[ReconciliationRun]:
    """orders_reconcile for every installed store connected to Friendbuy."""
    runs = []
    for connection in (
        FriendbuyConnection.objects.select_related("store")
        .filter(store__status=Store.Status.INSTALLED)
        .iterator()
    ):
        if connection.store.is_installed:
            runs.append(orders_reconcile(store=connection.store, days=days))
    return runs
