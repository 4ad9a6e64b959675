"""Order sync: snapshot an order re-fetched from BigCommerce, record its lifecycle events, queue the purchase once paid."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from referrals.attribution.in_sync import link_kept
from referrals.attribution.services import AttributionInfo, attribution_for_order, order_link_for
from referrals.models import (
    CustomerIdentity,
    CustomerOrderHistory,
    FriendbuyConnection,
    OrderEvent,
    OrderSnapshot,
    OutboxEvent,
)
from referrals.orders import selectors
from referrals.orders.customer_history import customer_history_ensure
from referrals.orders.documents import (
    OrderDocuments,
    documents_in_sync,
    line_items_from_products,
    order_documents_fetch,
    paid_at_from,
)
from referrals.orders.identity import identity_upsert, normalize_email
from referrals.orders.purchase import purchase_payload
from referrals.orders.signals import order_event_recorded
from referrals.orders.values import ZERO, datetime_of, decimal_of
from referrals.outbox import outbox_enqueue
from storefront.bigcommerce import BigCommerceClient, BigCommerceNotFound
from storefront.call_log import outbound_calls_batched
from storefront.clients import bigcommerce_for
from storefront.models import Store, WebhookDelivery

logger = logging.getLogger(__name__)

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
        setattr(snapshot, name, decimal_of(order.get(name)))
    snapshot.currency_code = str(order.get("currency_code") or "")[:3]
    snapshot.default_currency_code = str(order.get("default_currency_code") or snapshot.currency_code)[:3]
    snapshot.store_default_currency_code = str(order.get("store_default_currency_code") or "")[:3]
    rate = decimal_of(order.get("store_default_to_transactional_exchange_rate") or 1) or Decimal(1)
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
    snapshot.line_items = line_items_from_products(docs.products)
    if docs.refunds is not None:
        snapshot.refunded_amount = sum((decimal_of(r.get("total_amount")) for r in docs.refunds), ZERO)
    snapshot.is_paid = selectors.status_is_paid(snapshot.status_id)
    snapshot.bc_date_created = datetime_of(order.get("date_created"))
    snapshot.bc_date_modified = datetime_of(order.get("date_modified"))
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


def _ensure_purchase(
    snapshot: OrderSnapshot,
    identity: CustomerIdentity | None,
    attribution: AttributionInfo | None,
    *,
    created: bool,
    history: CustomerOrderHistory | None,
    history_until: datetime | None = None,
) -> OutboxEvent | None:
    """Owe Friendbuy the purchase of an order that was paid and is not voided; once per order.

    `history_until`: an order first paid before it is past history (a backfill): it is marked
    `is_history` and never sent, now or by a later webhook or reconciliation.

    `created`: this transaction inserted the snapshot, so no purchase of the order can have been
    enqueued before (snapshots are never deleted) and the look-up is skipped; the outbox's unique
    (store, kind, natural_key) stays the backstop that keeps it once. `history`: the customer's
    CustomerOrderHistory row order_sync has just ensured, if any (isNewCustomer).
    """
    if snapshot.first_paid_at is None or snapshot.status_id in selectors.VOIDED_STATUSES:
        return None
    if snapshot.erased_at is not None or snapshot.is_history:
        return None
    key = f"purchase:{snapshot.bc_order_id}"
    if not created and OutboxEvent.objects.filter(
        store_id=snapshot.store_id, kind=OutboxEvent.Kind.PURCHASE, natural_key=key
    ).exists():
        return None
    if history_until is not None and snapshot.first_paid_at < history_until:
        snapshot.is_history = True
        snapshot.save(update_fields=["is_history"])
        return None
    if not FriendbuyConnection.objects.filter(store_id=snapshot.store_id).exists():
        # Nothing to send to yet; reconciliation sends it once Friendbuy is connected.
        return None
    amount_field = selectors.store_settings(store=snapshot.store).purchase_amount_field
    event, _ = outbox_enqueue(
        store=snapshot.store,
        kind=OutboxEvent.Kind.PURCHASE,
        natural_key=key,
        order=snapshot,
        identity=identity,
        # The order's channel (from its document): a storefront with its own Friendbuy merchant gets it.
        channel_id=snapshot.channel_id,
        payload=purchase_payload(
            snapshot=snapshot,
            identity=identity,
            attribution=attribution,
            amount_field=amount_field,
            history=history,
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
        snapshot.first_paid_at = paid_at_from(docs.transactions)
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
        running += decimal_of(refund.get("total_amount"))
        full = running >= snapshot.total_inc_tax > 0
        refunded_at = datetime_of(refund.get("created")) or now
        if full and snapshot.refunded_at is None:
            snapshot.refunded_at = refunded_at
        drafts.append(
            _EventDraft(
                OrderEvent.Kind.REFUNDED if full else OrderEvent.Kind.PARTIALLY_REFUNDED,
                f"refund:{refund.get('id')}",
                at=refunded_at,
                from_status=previous_status,
                to_status=status,
                amount=decimal_of(refund.get("total_amount")),
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
    history_until: datetime | None = None,
) -> OrderSnapshot | None:
    """Re-fetch one order and bring its snapshot, events and purchase event up to date.

    `history_until` (backfill): record an order first paid before that moment without sending its
    purchase (see _ensure_purchase); live callers leave it None and every paid order is sent.

    `order` skips the order GET when the caller already has it (backfill pages); its products and
    shipping addresses are then fetched separately (see order_documents_fetch). Returns None when BigCommerce no
    longer has the order. The call log of the re-fetch is written in one statement at the end.
    """
    client = client or bigcommerce_for(store)
    existing = (
        OrderSnapshot.objects.filter(store=store, bc_order_id=order_id).only("id", "first_paid_at").first()
    )
    try:
        docs = order_documents_fetch(client, order_id, order=order, existing=existing, refunds_hint=refunds_hint)
    except BigCommerceNotFound:
        logger.info(
            "Order %s of store %s is gone from BigCommerce; nothing to sync.", order_id, store.store_hash
        )
        return None
    raw = docs.order
    email = str((raw.get("billing_address") or {}).get("email") or "")
    cart_id = raw.get("cart_id") or None
    customer_id = int(raw.get("customer_id") or 0) or None
    # Looked up once: attribution uses it now, the fraud assessment as the snapshot commits (in_sync).
    link = order_link_for(store=store, order_id=order_id, cart_id=cart_id, customer_id=customer_id)
    attribution = attribution_for_order(
        store=store, order_id=order_id, cart_id=cart_id, customer_id=customer_id, email=email or None, link=link
    )
    history = None
    if history_until is None or (docs.transactions is not None and paid_at_from(docs.transactions) >= history_until):
        # Outside the snapshot's transaction: the one BigCommerce call a new customer may cost holds no lock.
        history = customer_history_ensure(store=store, client=client, order=raw)
    in_sync = documents_in_sync.set((store.pk, order_id, docs))
    try:
        with link_kept(store_id=store.pk, order_id=order_id, cart_id=cart_id, customer_id=customer_id, link=link):
            return _save_sync(
                store,
                order_id,
                docs,
                attribution,
                seen=existing is not None,
                delivery=delivery,
                history=history,
                history_until=history_until,
            )
    finally:
        documents_in_sync.reset(in_sync)


def _save_sync(
    store: Store,
    order_id: int,
    docs: OrderDocuments,
    attribution: AttributionInfo | None,
    *,
    seen: bool,
    delivery: WebhookDelivery | None,
    history: CustomerOrderHistory | None = None,
    history_until: datetime | None = None,
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
        _ensure_purchase(
            snapshot,
            identity or snapshot.identity,
            attribution,
            created=created,
            history=history,
            history_until=history_until,
        )
    return snapshot
