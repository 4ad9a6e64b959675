"""Driving the fake Friendbuy from Python (tests and the demo): merchants, what the app sent, shopper
activity on Friendbuy's side, and Friendbuy's signed webhooks and reward-validation callbacks.

The signing here is written independently of referrals.friendbuy.signatures on purpose, so a round-trip test
checks two implementations of reference/friendbuy.md §3.2 against each other.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import requests
from django.conf import settings
from django.utils import timezone

from storefront.http import build_session

from .api import iso
from .models import (
    FakeActivity,
    FakeCampaign,
    FakeDeletion,
    FakeEvent,
    FakeLedger,
    FakeMerchant,
    FakeReferralLink,
)

SIGNATURE_HEADER = "X-Friendbuy-Hmac-SHA256"


# -- merchants and campaigns ----------------------------------------------------------------------


def create_merchant(
    *,
    merchant_id: str | None = None,
    api_key: str | None = None,
    api_secret: str | None = None,
    webhook_secret: str | None = None,
) -> FakeMerchant:
    """A fake merchant with MAPI credentials, a Secret Key and one active default campaign."""
    values = {
        "merchant_id": merchant_id,
        "api_key": api_key,
        "api_secret": api_secret,
        "webhook_secret": webhook_secret,
    }
    merchant = FakeMerchant.objects.create(**{k: v for k, v in values.items() if v})
    FakeCampaign.objects.create(merchant=merchant, name="Default Referral Campaign", is_default=True)
    return merchant


def default_campaign(merchant: FakeMerchant) -> FakeCampaign:
    return merchant.campaigns.get(is_default=True)


def create_campaign(
    merchant: FakeMerchant, *, name: str, campaign_id: str | None = None, active: bool = True
) -> FakeCampaign:
    extra = {"campaign_id": campaign_id} if campaign_id else {}
    return FakeCampaign.objects.create(merchant=merchant, name=name, active=active, **extra)


def expire_tokens(merchant: FakeMerchant) -> int:
    """Make every token of the merchant expire now (the next call with a cached token gets 401)."""
    return merchant.tokens.update(expires_at=timezone.now())


# -- what the app sent ----------------------------------------------------------------------------


def events(merchant: FakeMerchant, kind: str | None = None) -> list[dict]:
    """Payloads the app posted, oldest first; kind is purchase, account-sign-up, custom or customer."""
    rows = merchant.events.all() if kind is None else merchant.events.filter(kind=kind)
    return [event.payload for event in rows.order_by("id")]


def referral_links(merchant: FakeMerchant) -> list[dict]:
    return [
        {
            "email": link.email,
            "customerId": link.customer_id,
            "campaignId": link.campaign.campaign_id,
            "referralCode": link.code,
            "link": link.link,
            "createdOn": iso(link.created_on),
        }
        for link in merchant.links.select_related("campaign").order_by("id")
    ]


def deletions(merchant: FakeMerchant) -> list[dict]:
    return [
        {"jobId": d.job_id, "email": d.email, "customerId": d.customer_id}
        for d in FakeDeletion.objects.filter(merchant=merchant).order_by("id")
    ]


def set_ledger_balance(
    merchant: FakeMerchant, *, customer_id: str, total: Decimal | str | int, currency: str = "USD"
) -> FakeLedger:
    ledger, _ = FakeLedger.objects.update_or_create(
        merchant=merchant,
        customer_id=customer_id,
        currency=currency,
        defaults={"total": Decimal(str(total))},
    )
    return ledger


# -- shopper activity on Friendbuy's side ---------------------------------------------------------


def referral_link(
    merchant: FakeMerchant,
    *,
    email: str,
    customer_id: str = "",
    name: str = "",
    campaign: FakeCampaign | None = None,
    code: str | None = None,
) -> FakeReferralLink:
    """An advocate's link as if created earlier through the API (or the widget)."""
    campaign = campaign or default_campaign(merchant)
    code = code or uuid.uuid4().hex[:8]
    link, _ = FakeReferralLink.objects.get_or_create(
        campaign=campaign,
        email=email.lower(),
        defaults={
            "merchant": merchant,
            "customer_id": customer_id,
            "name": name,
            "code": code,
            "link": f"https://fbuy.io/{merchant.merchant_id}/{code}",
            "created_on": timezone.now(),
        },
    )
    return link


def _link(merchant: FakeMerchant, referral_code: str) -> FakeReferralLink:
    return merchant.links.select_related("campaign").get(code__iexact=referral_code)


def _advocate_record(
    link: FakeReferralLink, channel: str, ip_address: str, user_agent: str
) -> dict[str, Any]:
    return {
        "advocateCustomerId": link.customer_id,
        "advocateEmail": link.email,
        "advocateName": link.name,
        "channel": channel,
        "referralCode": link.code,
        "campaignId": link.campaign.campaign_id,
        "campaignName": link.campaign.name,
        "userAgent": user_agent,
        "ipAddress": ip_address,
    }


def record_activity(
    merchant: FakeMerchant, *, kind: str, created_on: datetime | None = None, **fields: Any
) -> dict:
    """Record an analytics record (widget-views, email-captures, distributed rewards…) as MAPI returns it."""
    if kind not in FakeActivity.Kind.values:
        raise ValueError(f"Unknown activity kind {kind!r}")
    activity = FakeActivity.objects.create(
        merchant=merchant, kind=kind, data=fields, created_on=created_on or timezone.now()
    )
    return {**fields, "createdOn": iso(activity.created_on)}


def record_share(
    merchant: FakeMerchant,
    *,
    referral_code: str,
    channel: str = "email",
    created_on: datetime | None = None,
    ip_address: str = "203.0.113.10",
    user_agent: str = "Mozilla/5.0 (sandbox)",
) -> dict:
    """The advocate shared their link or code."""
    record = _advocate_record(_link(merchant, referral_code), channel, ip_address, user_agent)
    return record_activity(merchant, kind=FakeActivity.Kind.SHARE, created_on=created_on, **record)


def record_click(
    merchant: FakeMerchant,
    *,
    referral_code: str,
    channel: str = "purl",
    attribution_id: str | None = None,
    created_on: datetime | None = None,
    destination_url: str = "https://store.example/",
    ip_address: str = "198.51.100.20",
    user_agent: str = "Mozilla/5.0 (sandbox)",
) -> dict:
    """A friend clicked the advocate's link; returns the record plus `attributionId` (the `fbuy` value)."""
    attribution_id = attribution_id or str(uuid.uuid4())
    record = _advocate_record(_link(merchant, referral_code), channel, ip_address, user_agent)
    # The attribution id is not an analytics field; kept underscored so analytics hides it.
    stored = record_activity(
        merchant,
        kind=FakeActivity.Kind.CLICK,
        created_on=created_on,
        destinationUrl=destination_url,
        _attributionId=attribution_id,
        **record,
    )
    stored.pop("_attributionId")
    return {**stored, "attributionId": attribution_id}


def record_friend_incentive(
    merchant: FakeMerchant,
    *,
    referral_code: str,
    friend_email: str,
    coupon_code: str,
    amount: Decimal | float = 10,
    friend_customer_id: str = "",
    incentive_type: str = "Coupon Code",
    created_on: datetime | None = None,
) -> dict:
    """Friendbuy handed the friend a coupon (so a purchase with that couponCode is attributed)."""
    link = _link(merchant, referral_code)
    record = {
        k: v for k, v in _advocate_record(link, "purl", "", "").items() if k not in ("userAgent", "ipAddress")
    }
    return record_activity(
        merchant,
        kind=FakeActivity.Kind.FRIEND_INCENTIVE,
        created_on=created_on,
        incentiveType=incentive_type,
        incentiveAmount=float(amount),
        couponCode=coupon_code,
        trigger="emailCapture",
        friendEmail=friend_email,
        friendName="",
        friendCustomerId=friend_customer_id,
        **record,
    )


# -- Friendbuy → app: webhooks and callbacks (reference §3) ---------------------------------------


def _sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _post_signed(url: str, secret: str, payload: Any) -> requests.Response:
    # Compact JSON, like JSON.stringify, so raw-body and re-serialised verification agree.
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: _sign(body, secret)}
    with build_session() as session:
        return session.post(
            url, data=body, headers=headers, timeout=tuple(settings.HTTP_TIMEOUT), allow_redirects=False
        )


def send_webhook(
    *, url: str, secret: str, type: str, data: list[dict], webhook_id: str | None = None
) -> requests.Response:
    """POST the documented envelope {id, type, data: [...], createdOn}, signed over the exact bytes sent."""
    envelope = {
        "id": webhook_id or str(uuid.uuid4()),
        "type": type,
        "data": data,
        "createdOn": iso(timezone.now()),
    }
    return _post_signed(url, secret, envelope)


def send_reward_validation(*, url: str, secret: str, body: dict) -> requests.Response:
    """POST a Reward Validation Callback body (purchase_validation_body / event_validation_body), signed."""
    return _post_signed(url, secret, body)


def reward_payload(
    *,
    email: str,
    customer_id: str = "",
    amount: str | Decimal | float = "20.00",
    reward_unit: str = "USD",
    reward_type: str = "discount",
    coupon_code: str = "",
    reward_id: str | None = None,
    created_on: datetime | None = None,
    **extra: Any,
) -> dict:
    """One `advocateReward` data item (§3.3); `rewardAmount` is a string as in Friendbuy's example.

    Extra keyword arguments (rewardTrigger, campaignId, friends, …) are added as given.
    """
    return {
        "rewardId": reward_id or str(uuid.uuid4()),
        "rewardType": reward_type,
        "rewardUnit": reward_unit,
        "emailAddress": email,
        "rewardAmount": amount if isinstance(amount, str) else f"{Decimal(str(amount)):.2f}",
        "createdOn": iso(created_on or timezone.now()),
        "customerId": customer_id,
        "couponCode": coupon_code,
        **extra,
    }


def friend_incentive_payload(
    *,
    email: str,
    advocate_email: str,
    advocate_customer_id: str = "",
    customer_id: str = "",
    rewardTrigger: str = "purchase",
    **kwargs: Any,
) -> dict:
    """One `friendIncentive` data item: the reward shape for the friend, plus the advocate (§3.3)."""
    return reward_payload(
        email=email,
        customer_id=customer_id,
        advocateEmailAddress=advocate_email,
        advocateCustomerId=advocate_customer_id,
        rewardTrigger=rewardTrigger,
        **kwargs,
    )


def email_capture_payload(
    *,
    email: str,
    name: str = "",
    campaign_id: str = "",
    campaign_name: str = "Referral",
    referral_code: str = "",
    channel: str = "purl",
    advocate_email: str = "",
    advocate_name: str = "",
    advocate_customer_id: str = "",
    attribution_id: str | None = None,
    coupon_code: str = "",
    amount: float = 30,
    currency: str = "USD",
    event_id: str | None = None,
) -> dict:
    """One `emailCapture` data item (§3.3): how a friend's coupon code becomes known server-side."""
    return {
        "eventId": event_id or str(uuid.uuid4()),
        "emailAddress": email,
        "name": name,
        "campaign": {"id": campaign_id or str(uuid.uuid4()), "name": campaign_name},
        "referral": {"channel": channel, "code": referral_code},
        "advocate": {"email": advocate_email, "name": advocate_name, "customerId": advocate_customer_id},
        "attributionId": attribution_id or str(uuid.uuid4()),
        "incentive": {"couponCode": coupon_code, "amount": amount, "currency": currency},
    }


def purchase_validation_body(
    *,
    order_id: str,
    amount: float,
    email: str,
    customer_id: str,
    advocate_email: str,
    advocate_customer_id: str = "",
    currency: str = "USD",
    campaign_id: str | None = None,
    is_new_customer: bool = True,
    products: list[dict] | None = None,
    ip_address: str = "198.51.100.20",
    advocate_ip_address: str = "203.0.113.10",
) -> dict:
    """The documented Reward Validation Callback body for a purchase (§3.4)."""
    now = iso(timezone.now())
    return {
        "eventType": "purchase",
        "createdOn": now,
        "campaignId": campaign_id or str(uuid.uuid4()),
        "purchase": {
            "id": order_id,
            "amount": amount,
            "currency": currency,
            "isNewCustomer": is_new_customer,
            "date": now,
            "email": email,
            "customerId": customer_id,
            "ipAddress": ip_address,
            "products": products or [],
        },
        "advocate": {
            "customerId": advocate_customer_id,
            "email": advocate_email,
            "ipAddress": advocate_ip_address,
        },
    }


def event_validation_body(
    *,
    event_type: str,
    recipient_type: str,
    email: str,
    customer_id: str,
    advocate_email: str,
    advocate_customer_id: str = "",
    campaign_id: str | None = None,
    is_new_customer: bool = True,
    ip_address: str = "198.51.100.20",
    advocate_ip_address: str = "203.0.113.10",
) -> dict:
    """The newer callback shape (§3.4): `event{}`, `actor{}` and `recipientType` advocate|friend."""
    return {
        "eventType": event_type,
        "recipientType": recipient_type,
        "campaignId": campaign_id or str(uuid.uuid4()),
        "createdOn": iso(timezone.now()),
        "event": {"isNewCustomer": is_new_customer, "email": email, "customerId": customer_id},
        "advocate": {
            "customerId": advocate_customer_id,
            "email": advocate_email,
            "ipAddress": advocate_ip_address,
        },
        "actor": {"customerId": customer_id, "email": email, "ipAddress": ip_address},
    }


# Re-exported so callers can filter events() without importing models.
PURCHASE, SIGN_UP, CUSTOM, CUSTOMER = (
    FakeEvent.Kind.PURCHASE,
    FakeEvent.Kind.SIGN_UP,
    FakeEvent.Kind.CUSTOM,
    FakeEvent.Kind.CUSTOMER,
)


def custom_events(merchant: FakeMerchant, event_type: str | None = None) -> list[dict]:
    """Custom events Friendbuy counts: the first of each (eventType, deduplicationId); later ones with the
    same pair are accepted (201) but, as §2.5.3 says, never rewarded, so they are left out here."""
    seen, counted = set(), []
    for payload in events(merchant, "custom"):
        key = (payload.get("eventType"), payload.get("deduplicationId") or object())
        if key in seen or (event_type and payload.get("eventType") != event_type):
            seen.add(key)
            continue
        seen.add(key)
        counted.append(payload)
    return counted


def customer_update_payload(
    *,
    customer_id: str,
    email: str,
    tier_id: str | None,
    tier_name: str = "",
    precedence: int = 0,
    updated_on: datetime | None = None,
    name: str = "",
) -> dict:
    """One `customerUpdate` data item (§3.3, loyalty): the member's opt-in and tier details; tier_id None
    means the member is in no tier (memberTierDetails absent)."""
    at = iso(updated_on or timezone.now())
    item: dict[str, Any] = {
        "customerId": customer_id,
        "customerEmail": email,
        "customerName": name,
        "loyaltyDetails": {"loyaltyOptInStatus": "in", "optedInOn": at, "everOptedIn": True},
        "updatedOn": at,
    }
    if tier_id is not None:
        item["memberTierDetails"] = {
            "memberTierId": tier_id,
            "memberTierNameCached": tier_name,
            "memberTierPrecedenceCached": precedence,
            "memberTierUpdatedOn": at,
        }
    return item
