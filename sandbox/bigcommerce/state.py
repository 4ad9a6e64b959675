"""Rules of the fake BigCommerce that both its HTTP views and the Python world helpers apply.

Formatting follows the specs: v2 money as decimal strings with four places, v2 dates RFC-2822 in
UTC, v3 dates ISO-8601; refunds update the order the way the control panel does (status 4 when
fully refunded, else 14; per-product quantity_refunded/refund_amount).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from django.db import transaction
from django.db.models import F

from .models import FakeOrder, FakeRefund, FakeStore

STATUS_NAMES = {
    0: "Incomplete",
    1: "Pending",
    2: "Shipped",
    3: "Partially Shipped",
    4: "Refunded",
    5: "Cancelled",
    6: "Declined",
    7: "Awaiting Payment",
    8: "Awaiting Pickup",
    9: "Awaiting Shipment",
    10: "Completed",
    11: "Awaiting Fulfillment",
    12: "Manual Verification Required",
    13: "Disputed",
    14: "Partially Refunded",
}
# Order of statuses in the control panel (the `sort_order` of GET /orders/count).
STATUS_SORT = [0, 1, 7, 11, 9, 8, 3, 10, 2, 5, 6, 4, 13, 12, 14]
PAYMENT_STATUS = {
    0: "",
    1: "pending",
    4: "refunded",
    5: "void",
    6: "declined",
    7: "authorized",
    12: "held for review",
    14: "partially refunded",
}
FOUR = Decimal("0.0001")
CENT = Decimal("0.01")
# GET /v2/orders/{id}?include=consignments.line_items embeds at most this many line items per consignment
# and says so in a `__warning__` on a consignment it cut (reference bigcommerce §3.1, bigcommerce/docs#960).
CONSIGNMENT_LINE_ITEMS = 50
CONSIGNMENT_CUT_WARNING = (
    "Not all line items of this consignment are returned with this response, only 50 are included. "
    "Please use the `/v2/orders/{order_id}/products` endpoint to fetch all line items."
)
# shippingConsignment_Base: the address fields a shipping consignment carries.
CONSIGNMENT_ADDRESS_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "street_1",
    "street_2",
    "city",
    "zip",
    "country",
    "country_iso2",
    "state",
    "email",
    "phone",
    "form_fields",
)
# shippingConsignment_Get's costs: JSON numbers, where the shipping address resource has decimal strings.
CONSIGNMENT_COSTS = (
    "base_cost",
    "cost_ex_tax",
    "cost_inc_tax",
    "cost_tax",
    "base_handling_cost",
    "handling_cost_ex_tax",
    "handling_cost_inc_tax",
    "handling_cost_tax",
)


class RefundRejected(Exception):
    """A refund request BigCommerce would answer with 422."""


def dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal("0")


def money(value: Any) -> str:
    """v2 money: a decimal string with four places ("225.0000")."""
    return str(dec(value).quantize(FOUR, rounding=ROUND_HALF_UP))


def number(value: Any) -> float | int:
    """v3 money: a JSON number."""
    d = dec(value).quantize(CENT, rounding=ROUND_HALF_UP)
    return int(d) if d == d.to_integral_value() else float(d)


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def rfc2822(moment: datetime | None) -> str:
    return format_datetime(moment.astimezone(UTC)) if moment else ""


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def next_ids(store: FakeStore, *, orders: int = 0, lines: int = 0) -> tuple[int, int]:
    """Reserve ids atomically (row lock), returning the first order id and first line id reserved."""
    with transaction.atomic():
        FakeStore.objects.filter(pk=store.pk).update(
            next_order_id=F("next_order_id") + orders,
            next_line_id=F("next_line_id") + lines,
        )
        fresh = FakeStore.objects.get(pk=store.pk)
    return fresh.next_order_id - orders, fresh.next_line_id - lines


def new_store_id() -> str:
    return str(1_000_000 + secrets.randbelow(8_999_999))


def set_status(order: FakeOrder, status_id: int) -> FakeOrder:
    if status_id not in STATUS_NAMES:
        raise ValueError(f"Unknown status_id {status_id}")
    order.data.update(
        {
            "status_id": status_id,
            "status": STATUS_NAMES[status_id],
            "custom_status": STATUS_NAMES[status_id],
            "date_modified": rfc2822(now()),
        }
    )
    if status_id in PAYMENT_STATUS:
        order.data["payment_status"] = PAYMENT_STATUS[status_id]
    elif status_id in (2, 3, 8, 9, 10, 11):
        order.data["payment_status"] = "captured"
    if status_id == 2 and not order.data.get("date_shipped"):
        order.data["date_shipped"] = rfc2822(now())
    order.save(update_fields=["data"])
    return order


def consignments(
    *,
    order: dict,
    products: list[dict],
    shipping_addresses: list[dict],
    api_base: str,
    embed_line_items: bool,
) -> dict:
    """orderConsignment_Get of an order: a shipping consignment per shipping address with its lines, the
    digital lines as the one download consignment, a gift certificate consignment per gift certificate
    line, and no pickups (the fake takes no pickup orders).

    Line items are the /products objects when embedded (consignments.line_items), at most
    CONSIGNMENT_LINE_ITEMS per consignment with a `__warning__` on one cut; else links to them. Links are
    {url: api_base + resource, resource}, api_base being the store's /v2 URL.
    """
    order_id = order["id"]

    def link(resource: str) -> dict:
        return {"url": f"{api_base}{resource}", "resource": resource}

    recipient = order["billing_address"].get("email", "")

    def with_lines(consignment: dict, lines: list[dict]) -> dict:
        if not embed_line_items:
            consignment["line_items"] = [link(f"/orders/{order_id}/products/{p['id']}") for p in lines]
        else:
            consignment["line_items"] = lines[:CONSIGNMENT_LINE_ITEMS]
            if len(lines) > CONSIGNMENT_LINE_ITEMS:
                consignment["__warning__"] = {"message": CONSIGNMENT_CUT_WARNING}
        return consignment

    shipping = []
    for address in shipping_addresses:
        lines = [p for p in products if p.get("order_address_id") == address["id"]]
        consignment = {
            "id": address["id"],
            **{name: address.get(name, "") for name in CONSIGNMENT_ADDRESS_FIELDS},
            "shipping_method": address["shipping_method"],
            "items_total": sum(int(p["quantity"]) for p in lines),
            "items_shipped": sum(int(p["quantity_shipped"]) for p in lines),
            **{name: number(address[name]) for name in CONSIGNMENT_COSTS},
            "cost_tax_class_id": address["cost_tax_class_id"],
            "handling_cost_tax_class_id": address["handling_cost_tax_class_id"],
            "shipping_zone_id": address["shipping_zone_id"],
            "shipping_zone_name": address["shipping_zone_name"],
            "shipping_quotes": link(
                f"/orders/{order_id}/consignments/shipping/{address['id']}/shipping_quotes"
            ),
        }
        shipping.append(with_lines(consignment, lines))
    digital = [p for p in products if p.get("type") == "digital"]
    return {
        "pickups": [],
        "shipping": shipping,
        "downloads": [with_lines({"recipient_email": recipient}, digital)] if digital else [],
        "email": {
            "gift_certificates": [
                with_lines({"recipient_email": recipient}, [p])
                for p in products
                if p.get("type") == "giftcertificate"
            ]
        },
    }


def refund_payload(refund: FakeRefund) -> dict:
    return {"id": refund.pk, **refund.data}


def refunded_total(store: FakeStore, order_id: int) -> Decimal:
    return sum(
        (dec(r.data.get("total_amount")) for r in FakeRefund.objects.filter(store=store, order_id=order_id)),
        Decimal("0"),
    )


def create_refund(
    order: FakeOrder,
    *,
    items: list[dict],
    payments: list[dict] | None = None,
    reason: str = "",
    user_id: int = 0,
) -> FakeRefund:
    """Apply a refund (RefundRequest_Post_Items) to the order; RefundRejected for what BC would refuse."""
    store = order.store
    products = {p["id"]: p for p in order.products}
    total = Decimal("0")
    refund_items = []
    for item in items:
        item_type = str(item.get("item_type", ""))
        if item_type not in ("PRODUCT", "GIFT_WRAPPING", "SHIPPING", "HANDLING", "ORDER", "FEE", "TAX"):
            raise RefundRejected(f"Invalid item_type '{item_type}'.")
        try:
            item_id = int(item.get("item_id"))
        except (TypeError, ValueError):
            raise RefundRejected("item_id is required.") from None
        quantity = item.get("quantity")
        if item_type == "PRODUCT":
            product = products.get(item_id)
            if product is None:
                raise RefundRejected(f"Order product {item_id} does not belong to order {order.order_id}.")
            quantity = int(quantity or 0)
            remaining = int(product["quantity"]) - int(product["quantity_refunded"])
            if quantity < 1 or quantity > remaining:
                raise RefundRejected(f"Refund quantity for item {item_id} exceeds the refundable quantity.")
            amount = (
                dec(item["amount"])
                if item.get("amount") is not None
                else dec(product["price_inc_tax"]) * quantity
            )
            product["quantity_refunded"] = int(product["quantity_refunded"]) + quantity
            product["refund_amount"] = money(dec(product["refund_amount"]) + amount)
            product["is_refunded"] = product["quantity_refunded"] >= int(product["quantity"])
        else:
            if item.get("amount") is None:
                raise RefundRejected("amount is required for amount-bound items.")
            amount = dec(item["amount"])
        total += amount
        refund_items.append(
            {
                "item_type": item_type,
                "item_id": item_id,
                "quantity": quantity,
                "requested_amount": number(amount),
                "reason": item.get("reason", ""),
            }
        )
    order_total = dec(order.data["total_inc_tax"])
    already = refunded_total(store, order.order_id)
    if total <= 0 or already + total > order_total:
        raise RefundRejected("The refund amount exceeds the refundable amount of the order.")
    payments = payments or [{"provider_id": "testgateway", "amount": number(total), "offline": False}]
    with transaction.atomic():
        refund = FakeRefund.objects.create(store=store, order_id=order.order_id, data={})
        refund.data = {
            "order_id": order.order_id,
            "user_id": user_id,
            "created": iso(now()),
            "reason": reason,
            "total_amount": number(total),
            "total_tax": 0,
            "uses_merchant_override_values": False,
            "items": refund_items,
            "payments": [
                {
                    "id": refund.pk * 10 + n,
                    "provider_id": p.get("provider_id", "testgateway"),
                    "amount": number(p.get("amount", total)),
                    "offline": bool(p.get("offline", False)),
                    "is_declined": False,
                    "declined_message": "",
                }
                for n, p in enumerate(payments)
            ],
        }
        refund.save(update_fields=["data"])
        order.transactions = [*order.transactions, _transaction(order, event="refund", amount=total)]
        order.save(update_fields=["products", "transactions"])
        set_status(order, 4 if already + total >= order_total else 14)
    return refund


def _transaction(order: FakeOrder, *, event: str, amount: Decimal, at: datetime | None = None) -> dict:
    return {
        "id": secrets.randbelow(900_000_000) + 100_000_000,
        "order_id": str(order.order_id),
        "event": event,
        "method": "credit_card",
        "amount": number(amount),
        "currency": order.data.get("currency_code", "USD"),
        "gateway": "testgateway",
        "gateway_transaction_id": secrets.token_hex(8),
        "status": "ok",
        "test": True,
        "fraud_review": False,
        "reference_transaction_id": None,
        "date_created": iso(at or now()),
        "payment_method_id": "testgateway",
        "offline": None,
        "custom": None,
        "credit_card": {
            "card_type": "visa",
            "card_iin": "411111",
            "card_last4": "1111",
            "card_expiry_month": 12,
            "card_expiry_year": 2030,
        },
    }


def purchase_transaction(order: FakeOrder) -> dict:
    """The payment of an order, dated when the order was placed (an order from 2024 was paid in 2024)."""
    created = order.data.get("date_created")
    at = min(parsedate_to_datetime(created), now()) if created else None
    return _transaction(order, event="purchase", amount=dec(order.data["total_inc_tax"]), at=at)
