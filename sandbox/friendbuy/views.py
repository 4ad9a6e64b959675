"""The fake Friendbuy Merchant API v1 (reference/friendbuy.md §2): thin views over the sandbox models."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from sandbox import sql

from . import validation
from .analytics import FILTERS, analytics_page
from .api import Problem, endpoint, error_response, iso
from .models import (
    FakeActivity,
    FakeCampaign,
    FakeDeletion,
    FakeEvent,
    FakeLedger,
    FakeMerchant,
    FakeReferralLink,
    FakeToken,
)

TOKEN_LIFETIME = timedelta(minutes=20)
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
SHARE_CHANNELS = ("email", "facebook", "messenger", "sms", "twitter", "purl")


@endpoint("POST", authenticated=False)
def authorization(request: HttpRequest):
    body = validation.json_object(request)
    validation.authorization(body)
    merchant = FakeMerchant.objects.filter(api_key=body["key"]).first()
    if merchant is None or not secrets.compare_digest(merchant.api_secret, body["secret"]):
        return error_response(401, "Unauthorized", error="Unauthorized")
    token = FakeToken.objects.create(merchant=merchant, expires_at=timezone.now() + TOKEN_LIFETIME)
    return JsonResponse({"tokenType": "Bearer", "token": token.token, "expires": iso(token.expires_at)})


def _record(merchant: FakeMerchant, kind: str, body: dict) -> FakeEvent:
    event = FakeEvent(
        merchant=merchant,
        kind=kind,
        payload=body,
        customer_id=str(body.get("customerId") or ""),
        email=str(body.get("email") or "").lower(),
        created_on=timezone.now(),
    )
    sql.insert(event)  # one INSERT per event sent: the hottest write of the processing benchmark
    return event


@endpoint("POST")
def event(request: HttpRequest, kind: str, merchant: FakeMerchant):
    body = validation.json_object(request)
    validation.EVENT_VALIDATORS[kind](body)
    recorded = _record(merchant, kind, body)
    return JsonResponse({"eventId": recorded.event_id, "createdOn": iso(recorded.created_on)}, status=201)


@endpoint("POST")
def customer(request: HttpRequest, merchant: FakeMerchant):
    body = validation.json_object(request)
    validation.customer(body)
    existed = merchant.events.filter(kind=FakeEvent.Kind.CUSTOMER, customer_id=body["customerId"]).exists()
    recorded = _record(merchant, FakeEvent.Kind.CUSTOMER, body)
    return JsonResponse(
        {"eventId": recorded.event_id, "createdOn": iso(recorded.created_on)}, status=200 if existed else 201
    )


def _new_code(merchant: FakeMerchant, seed: str) -> str:
    base = re.sub(r"[^a-z0-9]", "", seed.lower())[:32]
    candidate = base or "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    suffix = 1
    while FakeReferralLink.objects.filter(merchant=merchant, code=candidate).exists():
        suffix += 1
        candidate = f"{base}{suffix}" if base else "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return candidate


@endpoint("POST")
def personal_referral_link(request: HttpRequest, merchant: FakeMerchant):
    body = validation.json_object(request)
    validation.referral_link(body)
    campaign = FakeCampaign.objects.filter(
        merchant=merchant, campaign_id=body["campaignId"], active=True
    ).first()
    if campaign is None:
        return error_response(404, f"Campaign {body['campaignId']} not found or not active")
    email = body["email"].lower()
    with transaction.atomic():
        link = FakeReferralLink.objects.select_for_update().filter(campaign=campaign, email=email).first()
        if link is None:
            code = _new_code(merchant, body.get("seed") or "")
            name = " ".join(p for p in (body.get("firstName"), body.get("lastName")) if p)
            link = FakeReferralLink.objects.create(
                merchant=merchant,
                campaign=campaign,
                email=email,
                customer_id=body.get("customerId") or "",
                name=name,
                code=code,
                link=f"https://fbuy.io/{merchant.merchant_id}/{code}",
                created_on=timezone.now(),
            )
    return JsonResponse({"link": link.link, "referralCode": link.code, "createdOn": iso(link.created_on)})


@endpoint("GET")
def analytics(request: HttpRequest, kind: str, merchant: FakeMerchant):
    if kind not in FILTERS:
        return error_response(404, f"Unknown URL {request.path}", error="Not Found")
    return JsonResponse(analytics_page(merchant, kind, request.GET))


def _subject(request: HttpRequest) -> tuple[str, str]:
    email, customer_id = request.GET.get("email", "").lower(), request.GET.get("customerId", "")
    if not email and not customer_id:
        raise Problem(400, "email or customerId is required")
    return email, customer_id


def _subject_q(email: str, customer_id: str, *, email_field: str, id_field: str) -> Q:
    q = Q(pk__in=[])
    if email:
        q |= Q(**{f"{email_field}__iexact": email})
    if customer_id:
        q |= Q(**{id_field: customer_id})
    return q


def _mentions(data: dict, email: str, customer_id: str) -> bool:
    values = {str(v).lower() for k, v in data.items() if "email" in k.lower() or "customerid" in k.lower()}
    return bool((email and email in values) or (customer_id and customer_id.lower() in values))


@endpoint("GET", "DELETE")
def user_data(request: HttpRequest, merchant: FakeMerchant):
    email, customer_id = _subject(request)
    events = merchant.events.filter(
        _subject_q(email, customer_id, email_field="email", id_field="customer_id")
    )
    links = merchant.links.filter(_subject_q(email, customer_id, email_field="email", id_field="customer_id"))
    activities = [a for a in merchant.activities.all() if _mentions(a.data, email, customer_id)]
    if request.method == "DELETE":
        # Friendbuy erases asynchronously; the fake erases at once and keeps the request for assertions.
        deletion = FakeDeletion.objects.create(merchant=merchant, email=email, customer_id=customer_id)
        events.delete()
        links.delete()
        FakeActivity.objects.filter(pk__in=[a.pk for a in activities]).delete()
        return JsonResponse({"jobId": deletion.job_id})
    payloads = [e.payload for e in events]

    def collect(field: str) -> list:
        return sorted({str(p[field]) for p in payloads if p.get(field)})

    shares = {channel: 0 for channel in SHARE_CHANNELS}
    for activity in activities:
        if activity.kind == FakeActivity.Kind.SHARE:
            channel = activity.data.get("channel", "purl")
            shares[channel] = shares.get(channel, 0) + 1
    return JsonResponse(
        {
            "emails": sorted({e.email for e in events if e.email} | {link.email for link in links}),
            "names": sorted(
                {
                    " ".join(p for p in (pl.get("firstName"), pl.get("lastName")) if p)
                    for pl in payloads
                    if pl.get("firstName") or pl.get("lastName")
                }
            ),
            "customerIds": sorted(
                {e.customer_id for e in events if e.customer_id}
                | {link.customer_id for link in links if link.customer_id}
            ),
            "ipAddresses": collect("ipAddress"),
            "languages": collect("language"),
            "userAgents": collect("userAgent"),
            "colorDepths": [],
            "platforms": [],
            "screenSizes": [],
            "trackedEvents": [{"type": e.kind, "url": ""} for e in events],
            "shares": shares,
            "conversions": {channel: 0 for channel in SHARE_CHANNELS},
        }
    )


@endpoint("GET")
def ledger_balance(request: HttpRequest, merchant: FakeMerchant):
    customer_id = request.GET.get("customerId", "")
    if not customer_id:
        raise Problem(400, "customerId is required")
    currency = request.GET.get("currency") or "USD"
    ledger = FakeLedger.objects.filter(merchant=merchant, customer_id=customer_id, currency=currency).first()
    if ledger is None:
        return error_response(404, f"No ledger found for customer with id: {customer_id}", error="Not found")
    total = ledger.total.quantize(Decimal("0.01"))
    return JsonResponse({"customerId": customer_id, "total": float(total), "currency": ledger.currency})


@endpoint("GET", "POST", "PUT", "PATCH", "DELETE", authenticated=False)
def unknown(request: HttpRequest):
    return error_response(404, f"Unknown URL {request.path}", error="Not Found")
