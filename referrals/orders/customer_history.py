"""isNewCustomer from BigCommerce's own record: did this customer order before the first paid order we saw?

Our snapshots only reach back to the install (or a backfill), so a returning customer's first order after
install would look new. Before that order's purchase is built, BigCommerce's order list is asked once per
customer (`GET /v2/orders` with `customer_id` for a registered customer, `email` for a guest, and
`max_id` = the order's id - 1, oldest first: every filter documented in orders.v2.oas2.yml `getOrders`),
and the answer is kept in a CustomerOrderHistory row. From then on our own snapshots, which hold that
order, answer; a customer our snapshots already know as a buyer costs no call.

What counts as an earlier order: one BigCommerce calls paid, or one that was paid before it became
refunded, partially refunded or disputed (selectors.PAID_STATUSES | ONCE_PAID_STATUSES), the rule our own
history follows. Incomplete, pending, awaiting payment, manual verification, declined and cancelled orders
don't: no money changed hands (a cancelled order may have been paid, but the list can't tell).

A lookup that fails (BigCommerce down after the transport's retries, a refused call) never holds the
purchase back: it is sent with what our own history says, marked `newCustomerGuessed` in its
additionalProperties, and the row records the failure; the customer's next paid order asks again.
"""
from __future__ import annotations

import logging

from referrals.models import CustomerOrderHistory
from referrals.orders import selectors
from referrals.orders.identity import friendbuy_customer_id, normalize_email
from storefront.bigcommerce import BigCommerceClient, BigCommerceError
from storefront.models import Store

logger = logging.getLogger(__name__)

# Statuses of an earlier order that make this customer a returning one.
COUNTING_STATUSES = selectors.PAID_STATUSES | selectors.ONCE_PAID_STATUSES
# Oldest first, so the first page nearly always holds the answer; a short page costs less than 250 orders.
LOOKUP_PAGE = 20
# What one lookup answers; every write of a row sets all of them.
_ANSWER_FIELDS = ("source", "asked_for_order_id", "earlier_order_id", "error")


def _local_earlier_order(*, store: Store, customer_id: int, normalized_email: str, order_id: int) -> int | None:
    """The id of an earlier paid order of this customer in our own snapshots, if any."""
    return (
        selectors.paid_orders_of(store_id=store.pk, customer_id=customer_id, normalized_email=normalized_email)
        .filter(bc_order_id__lt=order_id)
        .order_by("bc_order_id")
        .values_list("bc_order_id", flat=True)
        .first()
    )


def bigcommerce_earlier_order(*, client: BigCommerceClient, order_id: int, customer_id: int, email: str) -> int | None:
    """The id of this customer's first order before `order_id` that counts, per BigCommerce's order list.

    Registered customers by `customer_id` (their guest orders before registering are not theirs in
    BigCommerce either); guests by `email`. Raises BigCommerceError when the list can't be read.
    """
    who = {"customer_id": customer_id} if customer_id else {"email": email}
    for order in client.iter_orders(max_id=order_id - 1, limit=LOOKUP_PAGE, **who):
        if int(order.get("status_id") or 0) in COUNTING_STATUSES and int(order.get("id") or 0) < order_id:
            return int(order["id"])
    return None


def _save(*, store: Store, key: str, **fields) -> CustomerOrderHistory:
    """Write the customer's answer in one statement: INSERT … ON CONFLICT (store, customer_key) DO UPDATE.

    Two orders of one new customer synced at once both ask; the constraint keeps one row and the later
    answer wins, as update_or_create did, without its lock-read, savepoints and transaction.
    """
    row = CustomerOrderHistory(store=store, customer_key=key, **fields)
    CustomerOrderHistory.objects.bulk_create(
        [row],
        update_conflicts=True,
        unique_fields=["store", "customer_key"],
        update_fields=[*_ANSWER_FIELDS, "checked_at"],
    )
    return row


def customer_history_ensure(*, store: Store, client: BigCommerceClient, order: dict) -> CustomerOrderHistory | None:
    """Make sure we know whether the customer of this paid order ordered before it (see the module docstring).

    At most one BigCommerce call per customer: none when a row already answers or our own snapshots show
    an earlier paid order. Called before the order's snapshot transaction, so no row lock waits on it.
    Returns the row, or None for an unpaid order or a guest without an email. Never raises for BigCommerce.
    """
    if not selectors.status_is_paid(int(order.get("status_id") or 0)):
        return None
    order_id = int(order.get("id") or 0)
    customer_id = int(order.get("customer_id") or 0)
    email = str((order.get("billing_address") or {}).get("email") or "").strip()
    normalized = normalize_email(email)
    if not order_id or not (customer_id or normalized):
        return None
    key = friendbuy_customer_id(store_hash=store.store_hash, bc_customer_id=customer_id or None, email=email)
    row = CustomerOrderHistory.objects.filter(store=store, customer_key=key).first()
    if row is not None and row.answered:
        return row
    local = _local_earlier_order(store=store, customer_id=customer_id, normalized_email=normalized, order_id=order_id)
    if local is not None:
        return _save(store=store, key=key, source=CustomerOrderHistory.Source.LOCAL,
                     asked_for_order_id=order_id, earlier_order_id=local, error="")
    try:
        earlier = bigcommerce_earlier_order(client=client, order_id=order_id, customer_id=customer_id, email=email)
    except BigCommerceError as exc:
        logger.warning("Order history of a customer of store %s could not be read for order %s: %s",
                       store.store_hash, order_id, exc)
        return _save(store=store, key=key, source=CustomerOrderHistory.Source.FAILED,
                     asked_for_order_id=order_id, earlier_order_id=None, error=f"{type(exc).__name__}: {exc}"[:2000])
    return _save(store=store, key=key, source=CustomerOrderHistory.Source.BIGCOMMERCE,
                 asked_for_order_id=order_id, earlier_order_id=earlier, error="")
