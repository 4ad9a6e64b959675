"""Data behind the storefront account widget: the shopper's referral link (cached) and loyalty balance.

Both come from Friendbuy's Merchant API. A personal referral link is create-or-return-existing on
Friendbuy's side, so caching it per store + customer + campaign (REFERRAL_LINK_TTL) only saves calls;
a failed call is not cached.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.cache import cache

from referrals.friendbuy.clients import friendbuy_for
from referrals.models import FriendbuyConnection
from storefront.widget_api.stores import settings_of

REFERRAL_LINK_TTL = 60 * 60


class WidgetNotConfigured(Exception):
    """The store lacks what the widget needs (a Friendbuy connection, a default campaign)."""


def _connection(store) -> FriendbuyConnection:
    connection = FriendbuyConnection.objects.select_related("store").filter(store=store).first()
    if connection is None:
        raise WidgetNotConfigured("Friendbuy is not connected for this store.")
    return connection


def default_campaign_id(*, store) -> str:
    row = settings_of(store)  # loaded with the store by the widget API (no extra query)
    return (row.default_campaign_id if row else "").strip()


def referral_link_cache_key(*, store, customer_id: int, campaign_id: str) -> str:
    return f"referrals:purl:{store.pk}:{customer_id}:{campaign_id}"


def referral_link_for_shopper(*, store, customer_id: int, email: str) -> dict:
    """{link, referralCode} from Friendbuy (POST /v1/personal-referral-link), cached for an hour.

    Raises WidgetNotConfigured, or the client's FriendbuyError when Friendbuy refuses or is down.
    """
    campaign_id = default_campaign_id(store=store)
    if not campaign_id:
        raise WidgetNotConfigured("No default Friendbuy campaign is set for this store.")
    key = referral_link_cache_key(store=store, customer_id=customer_id, campaign_id=campaign_id)
    cached = cache.get(key)
    if cached is not None:
        return cached
    client = friendbuy_for(_connection(store))
    answer = client.create_referral_link(
        {
            "email": email,
            "campaignId": campaign_id,
            "customerId": str(customer_id),
            "channel": "purl",
        }
    )
    result = {
        "link": str(answer.get("link") or ""),
        "referralCode": str(answer.get("referralCode") or ""),
        "campaignId": campaign_id,
    }
    cache.set(key, result, REFERRAL_LINK_TTL)
    return result


def loyalty_balance_for_shopper(*, store, customer_id: int) -> dict:
    """{balance, currency} of the shopper's Friendbuy ledger; no ledger yet (404) means 0."""
    currency = store.default_currency or "USD"
    answer = friendbuy_for(_connection(store)).get_ledger_balance(
        customer_id=str(customer_id), currency=currency
    )
    if not answer:
        return {"balance": "0", "currency": currency}
    # The documented field is `total`; some sources call it `balance` (friendbuy.md §2.9).
    raw = answer.get("total", answer.get("balance", 0))
    try:
        balance = Decimal(str(raw))
    except ArithmeticError:
        balance = Decimal(0)
    return {"balance": str(balance), "currency": str(answer.get("currency") or currency)}
