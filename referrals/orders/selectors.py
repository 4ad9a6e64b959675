"""Reads about the order and customer lifecycle: paid-status rules, new-customer checks, event feeds."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from referrals.models import CustomerIdentity, CustomerOrderHistory, OrderSnapshot, OutboxEvent, StoreSettings
from referrals.orders.identity import friendbuy_customer_id

# reference bigcommerce §3.2: the statuses BigCommerce itself calls paid. 7 (Awaiting Payment) and
# 12 (Manual Verification) are not: the money may never arrive. 0/1 are abandoned checkouts.
PAID_STATUSES = frozenset({2, 3, 8, 9, 10, 11})
# Statuses that prove an order was paid at some point even if we never saw it paid.
ONCE_PAID_STATUSES = frozenset({4, 13, 14})
CANCELLED, DECLINED, REFUNDED, PARTIALLY_REFUNDED, DISPUTED = 5, 6, 4, 14, 13
# Orders in these statuses never get a purchase event, even if they were paid before we looked.
VOIDED_STATUSES = frozenset({REFUNDED, CANCELLED, DECLINED})


def status_is_paid(status_id: int) -> bool:
    return status_id in PAID_STATUSES


def store_settings(*, store) -> StoreSettings:
    """The store's lifecycle settings (defaults when none were saved; nothing is written)."""
    return StoreSettings.objects.filter(store=store).first() or StoreSettings(store=store)


@dataclass(frozen=True)
class NewCustomer:
    """isNewCustomer for a purchase, and whether it is a guess (BigCommerce could not be asked)."""

    is_new: bool
    guessed: bool = False


def paid_orders_of(*, store_id: int, customer_id: int | None, normalized_email: str):
    """The store's snapshots of this customer's paid (or once paid) orders, by BigCommerce customer id or
    normalised email; none for an order that names neither."""
    same_person = Q()
    if customer_id:
        same_person |= Q(customer_id=customer_id)
    if normalized_email:
        same_person |= Q(normalized_email=normalized_email)
    if not same_person:
        return OrderSnapshot.objects.none()
    was_paid = Q(first_paid_at__isnull=False) | Q(status_id__in=ONCE_PAID_STATUSES)
    return OrderSnapshot.objects.filter(store_id=store_id).filter(same_person, was_paid)


def _earlier_local_paid_order_exists(snapshot: OrderSnapshot) -> bool:
    earlier = Q(bc_order_id__lt=snapshot.bc_order_id)
    if snapshot.bc_date_created is not None:
        earlier = Q(bc_date_created__lt=snapshot.bc_date_created) | (
            Q(bc_date_created=snapshot.bc_date_created) & Q(bc_order_id__lt=snapshot.bc_order_id)
        )
    return (
        paid_orders_of(store_id=snapshot.store_id, customer_id=snapshot.customer_id,
                       normalized_email=snapshot.normalized_email)
        .filter(earlier)
        .exclude(pk=snapshot.pk)
        .exists()
    )


def is_new_customer(*, snapshot: OrderSnapshot, history: CustomerOrderHistory | None = None) -> NewCustomer:
    """No earlier paid order of this customer: neither in our snapshots (same BigCommerce customer id or
    normalised email) nor in BigCommerce's order list as remembered in CustomerOrderHistory
    (referrals.orders.customer_history asks it once per customer, before the purchase is built).

    `guessed` when our snapshots say new and BigCommerce's answer is missing (its lookup failed, or was
    never made: a guest without an email).

    `history`: the customer's row when the caller already holds it (order_sync has just ensured it);
    None reads it. A row that names an earlier order answers "returning" without asking our snapshots,
    which could only say the same.
    """
    if not (snapshot.customer_id or snapshot.normalized_email):
        return NewCustomer(True, guessed=True)
    key = friendbuy_customer_id(
        store_hash=snapshot.store.store_hash, bc_customer_id=snapshot.customer_id or None, email=snapshot.email
    )
    row = history if history is not None and history.customer_key == key else None
    if row is not None and row.answered and _names_earlier_order(row, snapshot):
        return NewCustomer(False)
    if _earlier_local_paid_order_exists(snapshot):
        return NewCustomer(False)
    if row is None:
        row = CustomerOrderHistory.objects.filter(store_id=snapshot.store_id, customer_key=key).first()
    if row is None or not row.answered:
        return NewCustomer(True, guessed=True)
    return NewCustomer(not _names_earlier_order(row, snapshot))


def _names_earlier_order(row: CustomerOrderHistory, snapshot: OrderSnapshot) -> bool:
    return row.earlier_order_id is not None and row.earlier_order_id < snapshot.bc_order_id


def purchase_event_for(*, store, bc_order_id: int) -> OutboxEvent | None:
    return OutboxEvent.objects.filter(
        store=store,
        kind=OutboxEvent.Kind.PURCHASE,
        natural_key=f"purchase:{bc_order_id}",
    ).first()


def order_is_history(*, store, bc_order_id: int) -> bool:
    """A backfill recorded this order as past history (its purchase is never sent)."""
    return OrderSnapshot.objects.filter(store=store, bc_order_id=bc_order_id, is_history=True).exists()


def identities_matching(*, store, bc_customer_id: int | None = None, normalized_email: str = ""):
    """Identities of one data subject: by customer id and/or normalised email."""
    match = Q()
    if bc_customer_id:
        match |= Q(bc_customer_id=bc_customer_id)
    if normalized_email:
        match |= Q(normalized_email=normalized_email)
    if not match:
        return CustomerIdentity.objects.none()
    return CustomerIdentity.objects.filter(store=store).filter(match)
