"""GET /analytics/<kind> of the fake MAPI: records computed from what was recorded, real pagination.

Purchases and sign-ups come from the events the app posted, and only referred ones are listed (as
Friendbuy does): the event must carry a referralCode of a known link, an attributionId of a recorded
click, or a couponCode of a recorded friend incentive. Everything else comes from FakeActivity rows
that world helpers record. The page token is opaque base64 JSON that locks dates, size and filters.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from django.http import QueryDict

from .api import Problem, iso
from .models import FakeActivity, FakeEvent, FakeMerchant, FakeReferralLink

DEFAULT_PAGE_SIZE = 200
MAX_PAGE_SIZE = 1000
FILTERS: dict[str, tuple[str, ...]] = {
    "widget-views": ("campaignId", "widgetName", "widgetType"),
    "shares": ("campaignId", "advocateEmail", "advocateCustomerId", "channel"),
    "clicks": ("campaignId", "channel"),
    "account-sign-ups": ("campaignId", "customerId", "email"),
    "purchases": ("campaignId", "customerId", "email"),
    "distributed-advocate-rewards": ("campaignId", "advocateCustomerId", "advocateEmail"),
    "distributed-friend-incentives": ("campaignId", "friendCustomerId", "friendEmail"),
    "email-captures": ("campaignId", "emailCaptureType", "email"),
}
PAGING = {"fromDate", "toDate", "pageSize", "pageToken", "zone"}


def parse_datetime(value: str, field: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Problem(400, f"{field} must be an ISO-8601 date-time such as 2021-02-23T01:20:14Z") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _encode(state: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode()


def _decode(token: str, kind: str) -> dict:
    try:
        state = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, binascii.Error) as exc:
        raise Problem(400, "pageToken is invalid") from exc
    if not isinstance(state, dict) or state.get("kind") != kind:
        raise Problem(400, "pageToken is invalid for this endpoint")
    return state


def _query(params: QueryDict, kind: str) -> dict:
    """The locked query state: from the page token when given, else from fromDate/toDate/pageSize/filters."""
    unknown = set(params) - PAGING - set(FILTERS[kind])
    if unknown:
        raise Problem(400, f"Unknown query parameter(s): {', '.join(sorted(unknown))}")
    if params.get("pageToken"):
        return _decode(params["pageToken"], kind)
    for field in ("fromDate", "toDate"):
        if not params.get(field):
            raise Problem(400, f"{field} is required")
    from_date, to_date = (
        parse_datetime(params["fromDate"], "fromDate"),
        parse_datetime(params["toDate"], "toDate"),
    )
    if from_date > to_date:
        raise Problem(400, "fromDate must not be after toDate")
    try:
        page_size = int(params.get("pageSize") or DEFAULT_PAGE_SIZE)
    except ValueError as exc:
        raise Problem(400, "pageSize must be an integer") from exc
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise Problem(400, f"pageSize must be between 1 and {MAX_PAGE_SIZE}")
    return {
        "kind": kind,
        "fromDate": iso(from_date),
        "toDate": iso(to_date),
        "pageSize": page_size,
        "zone": params.get("zone") or "UTC",
        "filters": {k: params[k] for k in FILTERS[kind] if params.get(k)},
        "searchAfter": None,
    }


def _advocate_fields(link: FakeReferralLink | None, channel: str = "") -> dict[str, Any]:
    if link is None:
        return {}
    return {
        "advocateName": link.name,
        "advocateEmail": link.email,
        "advocateCustomerId": link.customer_id,
        "referralCode": link.code,
        "campaignId": link.campaign.campaign_id,
        "campaignName": link.campaign.name,
        "channel": channel or "purl",
    }


def referral_for(merchant: FakeMerchant, payload: dict) -> tuple[FakeReferralLink, str] | None:
    """Attribute an event as Friendbuy says it does: coupon code, then attribution id, then referral code."""
    links = FakeReferralLink.objects.select_related("campaign").filter(merchant=merchant)
    if payload.get("couponCode"):
        for activity in merchant.activities.filter(kind=FakeActivity.Kind.FRIEND_INCENTIVE):
            if str(activity.data.get("couponCode", "")).lower() == payload["couponCode"].lower():
                link = links.filter(code__iexact=activity.data.get("referralCode", "")).first()
                if link:
                    return link, activity.data.get("channel", "")
    if payload.get("attributionId"):
        for activity in merchant.activities.filter(kind=FakeActivity.Kind.CLICK):
            if activity.data.get("_attributionId") == payload["attributionId"]:
                link = links.filter(code__iexact=activity.data.get("referralCode", "")).first()
                if link:
                    return link, activity.data.get("channel", "")
    if payload.get("referralCode"):
        link = links.filter(code__iexact=payload["referralCode"]).first()
        if link:
            return link, "code"
    return None


def _event_record(event: FakeEvent, referral: tuple[FakeReferralLink, str]) -> dict[str, Any]:
    payload = event.payload
    name = " ".join(p for p in (payload.get("firstName"), payload.get("lastName")) if p)
    record = {
        "customerId": payload.get("customerId", ""),
        "email": payload.get("email", ""),
        "name": name,
        "createdOn": iso(event.created_on),
        "ipAddress": payload.get("ipAddress", ""),
        "newCustomer": bool(payload.get("isNewCustomer", False)),
        **_advocate_fields(*referral),
    }
    if event.kind == FakeEvent.Kind.PURCHASE:
        record.update(
            {
                "orderId": payload.get("orderId"),
                "amount": payload.get("amount"),
                "couponCode": payload.get("couponCode", ""),
                "products": payload.get("products", []),
            }
        )
    else:
        record["userAgent"] = payload.get("userAgent", "")
    return record


def _records(merchant: FakeMerchant, kind: str) -> list[tuple[datetime, int, dict]]:
    if kind in ("purchases", "account-sign-ups"):
        event_kind = FakeEvent.Kind.PURCHASE if kind == "purchases" else FakeEvent.Kind.SIGN_UP
        rows = []
        for event in merchant.events.filter(kind=event_kind):
            referral = referral_for(merchant, event.payload)
            if referral is not None:
                rows.append((event.created_on, event.pk, _event_record(event, referral)))
        return rows
    return [
        (
            activity.created_on,
            activity.pk,
            {k: v for k, v in activity.data.items() if not k.startswith("_")}
            | {"createdOn": iso(activity.created_on)},
        )
        for activity in merchant.activities.filter(kind=kind)
    ]


def _matches(record: dict, filters: dict[str, str]) -> bool:
    return all(str(record.get(name, "")).lower() == value.lower() for name, value in filters.items())


def analytics_page(merchant: FakeMerchant, kind: str, params: QueryDict) -> dict[str, Any]:
    state = _query(params, kind)
    from_date, to_date = (
        parse_datetime(state["fromDate"], "fromDate"),
        parse_datetime(state["toDate"], "toDate"),
    )
    rows = sorted(
        (
            row
            for row in _records(merchant, kind)
            if from_date <= row[0] <= to_date and _matches(row[2], state["filters"])
        ),
        key=lambda row: (row[0], row[1]),
    )
    total = len(rows)
    if state.get("searchAfter"):
        after_at, after_pk = parse_datetime(state["searchAfter"][0], "pageToken"), state["searchAfter"][1]
        rows = [row for row in rows if (row[0], row[1]) > (after_at, after_pk)]
    page = rows[: state["pageSize"]]
    body: dict[str, Any] = {"totalResults": total, "results": [row[2] for row in page]}
    if len(rows) > len(page):
        last = page[-1]
        body["nextPageToken"] = _encode(
            {**state, "searchAfter": [last[0].astimezone(UTC).isoformat(), last[1]]}
        )
    return body
