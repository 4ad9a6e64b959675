"""Re-fetching an order from BigCommerce: the order, its products or consignments, transactions and refunds."""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from referrals.models import (
    OrderSnapshot,
)
from referrals.orders import selectors
from referrals.orders.values import datetime_of, decimal_of
from storefront.bigcommerce import BigCommerceClient

# The keys of orderConsignment_Get (the object structure of an order's consignments).
CONSIGNMENT_KINDS = frozenset({"pickups", "shipping", "downloads", "email"})
# A payment status containing one of these means money went back (BigCommerce has no fixed list).
REFUND_HINTS = ("refund",)


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
documents_in_sync: ContextVar[tuple[int, int, OrderDocuments] | None] = ContextVar(
    "order_sync_documents", default=None
)


def documents_just_fetched(*, store_id: int, order_id: int) -> OrderDocuments | None:
    """What order_sync re-fetched for this order, while that sync (and its on-commit subscribers) runs."""
    current = documents_in_sync.get()
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


def order_documents_fetch(
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


def paid_at_from(transactions: list[dict] | None) -> datetime:
    for transaction_row in transactions or []:
        if transaction_row.get("event") in ("purchase", "capture") and transaction_row.get("status") == "ok":
            when = datetime_of(transaction_row.get("date_created"))
            if when is not None:
                return when
    return timezone.now()


def line_items_from_products(products: list[dict]) -> list[dict]:
    return [
        {
            "sku": str(p.get("sku") or f"product-{p.get('product_id', '')}"),
            "name": str(p.get("name") or ""),
            "quantity": int(p.get("quantity") or 0),
            "price": str(decimal_of(p.get("price_ex_tax", p.get("base_price")))),
        }
        for p in products
        # Bundled children are priced in their parent line.
        if not p.get("parent_order_product_id")
    ]
