"""The purchase event sent to Friendbuy: amount, currency, line items, coupon, customer and fraud signals."""
from __future__ import annotations

import hashlib
from decimal import Decimal

from fraud.normalise import email_domain, is_disposable_domain
from referrals.attribution.services import AttributionInfo, is_captured_friend_coupon, is_friend_code
from referrals.models import (
    CustomerIdentity,
    CustomerOrderHistory,
    OrderSnapshot,
    StoreSettings,
)
from referrals.orders import selectors
from referrals.orders.identity import normalize_email
from referrals.orders.values import CENT, ZERO, decimal_of, money_out
from storefront.models import Store


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
    """Is this coupon one Friendbuy distributed (a friend incentive code)? Friendbuy's codes look like any
    code, so only what we saw Friendbuy hand out counts: the friend coupon captured for this order, a
    friendIncentive / emailCapture webhook's code (FriendCode) or one we minted for a friend incentive,
    or a code the storefront capture saw Friendbuy's widget give out (couponReceived).
    Case-insensitive, as Friendbuy's codes are."""
    code = (code or "").strip()
    if not code:
        return False
    if attribution and attribution.coupon_code and attribution.coupon_code.strip().upper() == code.upper():
        return True
    return is_friend_code(store=store, code=code) or is_captured_friend_coupon(store=store, code=code)


def _additional_properties(
    snapshot: OrderSnapshot, attribution: AttributionInfo | None, *, new_customer: selectors.NewCustomer
) -> dict[str, str]:
    # Friendbuy keeps only string values here (reference friendbuy §2.5.1).
    values = {
        "deviceId": attribution.device_id if attribution else "",
        "bcOrderStatus": str(snapshot.status_id),
        "channelId": str(snapshot.channel_id or ""),
        # isNewCustomer came from our own history alone: BigCommerce's order list could not be read.
        "newCustomerGuessed": "true" if new_customer.guessed else "",
        **fraud_properties(snapshot.email),
    }
    return {key: value for key, value in values.items() if value}


def fraud_properties(email: str | None) -> dict[str, str]:
    """Fraud inputs for Friendbuy's additionalProperties (strings only): hash of the matching email, disposable flag."""

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
    history: CustomerOrderHistory | None = None,
) -> dict:
    """The POST /v1/event/purchase body for an order (reference friendbuy §2.5.1), JSON-ready.

    `history`: the customer's CustomerOrderHistory row when the caller holds it (see is_new_customer).
    """
    codes = snapshot.coupon_codes or []
    new_customer = selectors.is_new_customer(snapshot=snapshot, history=history)
    referral = next(
        (c for c in codes if coupon_is_referral_code(snapshot.store, c, attribution=attribution)), None
    )
    payload = {
        "orderId": str(snapshot.bc_order_id),
        "customerId": identity.friendbuy_customer_id if identity else str(snapshot.customer_id or ""),
        "email": snapshot.email,
        "firstName": snapshot.billing_first_name,
        "lastName": snapshot.billing_last_name,
        "amount": money_out(purchase_amount(snapshot=snapshot, field=amount_field)),
        "currency": snapshot.default_currency_code
        or snapshot.currency_code
        or snapshot.store.default_currency,
        "isNewCustomer": new_customer.is_new,
        # Only a code Friendbuy distributed: its coupon attribution "only works if the code was
        # distributed from a Friend Incentive widget" (reference friendbuy §2.5.1). The store's own
        # coupons stay out; attributionId and referralCode still attribute the order.
        "couponCode": referral or "",
        "attributionId": attribution.attribution_id if attribution else "",
        "referralCode": attribution.referral_code if attribution else "",
        "products": [
            {
                "sku": item["sku"],
                "name": item["name"],
                "quantity": item["quantity"],
                "price": money_out(decimal_of(item["price"])),
            }
            for item in snapshot.line_items
        ],
        "ipAddress": snapshot.ip_address or (attribution.ip_address if attribution else ""),
        "userAgent": snapshot.user_agent,
        "additionalProperties": _additional_properties(snapshot, attribution, new_customer=new_customer),
    }
    # Friendbuy validates the fields it gets: leave out the empty optional ones rather than send "".
    return {key: value for key, value in payload.items() if value not in ("", None, {}, [])}
