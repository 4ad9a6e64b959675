"""What the storefront captured about how a shopper arrived (Friendbuy attribution id, referral code,
friend coupon, device, user agent, IP): the writes from the widget API's capture endpoints, and the
lookups for an order or a sign-up.

Trust: every capture comes from a browser. Its Friendbuy fields (attribution id, referral code, campaign,
advocate, self-referral flag) count only when the visitor-status `signature` verifies with the store's
Friendbuy Secret Key over the compact JSON of `payload` (JSON.stringify, as the SDK signs it); a row with
a bad or missing signature is kept (evidence for support and fraud review) with `signature_valid=False`
and is never used for attribution. A friend coupon from `couponReceived` is unsigned, so it is only a
hint: the order itself must carry the coupon for it to matter. Customer id and email are stored only
from a verified current-customer JWT. The order id in the browser is not proof of anything: an order
link is believed only when it proves the order (`link_proves_order_q`: its cart is the order's cart, or
its verified shopper is the order's customer). Each device's report is its own row, so a forged report
can't overwrite or block the real shopper's; a report for an order we already know is refused unless it
proves it. A link makes its order referred when it is believed and its capture is a signed referral
(`accepted_referral_link_q`): attribution credits exactly those, and the reports count exactly those.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from coupons.codes import canonical
from referrals.friendbuy.signatures import customer_auth_signature, verify_friendbuy_signature
from referrals.models import (
    AttributionCapture,
    FriendbuyConnection,
    FriendCode,
    OrderAttributionLink,
    OrderSnapshot,
    Reward,
    ShopperIdentification,
)
from storefront.models import Store


@dataclass(frozen=True)
class AttributionInfo:
    attribution_id: str = ""
    referral_code: str = ""
    coupon_code: str = ""
    device_id: str = ""
    user_agent: str = ""
    ip_address: str = ""


# Reports one order may collect before the order itself is known (one per device; throttled per IP too).
MAX_UNPROVEN_LINKS_PER_ORDER = 20


class FriendbuyNotConnected(Exception):
    """The store has no Friendbuy connection, so there is no Secret Key to sign or verify with."""


class OrderNotProven(Exception):
    """An order link for a known order whose cart and shopper both differ from the order's."""


class TooManyOrderLinks(Exception):
    """An order not known yet already has MAX_UNPROVEN_LINKS_PER_ORDER reports."""


def link_proves_order_q(*, order_cart, order_customer) -> Q:
    """The one test of an order link: the reporter proved it placed the order. The cart it reported is the
    order's cart, or the shopper its current-customer JWT verified is the order's customer. The arguments
    are one order's values (attribution) or expressions over the stored order (reporting)."""
    return (Q(cart_id=order_cart) & ~Q(cart_id="")) | (Q(bc_customer_id=order_customer) & Q(bc_customer_id__gt=0))


def accepted_referral_link_q(*, order_cart, order_customer) -> Q:
    """A link that makes its order referred: it proves the order, and its capture is a signed referral
    that isn't a self-referral (an unsigned friend coupon is only a hint; the order must carry the code)."""
    return link_proves_order_q(order_cart=order_cart, order_customer=order_customer) & Q(
        capture__signature_valid=True, capture__is_self_referral=False
    )


# --- helpers ------------------------------------------------------------------------------------

# attribution_for_order's `link` when the caller has not looked it up.
_UNKNOWN = object()


def _connection(store) -> FriendbuyConnection | None:
    return FriendbuyConnection.objects.filter(store=store).first()


def _text(value: Any, limit: int) -> str:
    return str(value if value is not None else "").strip()[:limit]


def visitor_status_signature_valid(*, payload: dict, signature: str, secret: str) -> bool:
    """The visitor-status signature (base64 HMAC-SHA256) over JSON.stringify(payload)."""
    if not isinstance(payload, dict) or not signature or not secret:
        return False
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return verify_friendbuy_signature(body, signature, secret)


def _trusted_captures(store) -> QuerySet[AttributionCapture]:
    """Captures that may attribute: not a self-referral, and either signed or carrying a friend coupon."""
    return AttributionCapture.objects.filter(store=store, is_self_referral=False).filter(
        Q(signature_valid=True) | ~Q(friend_coupon="")
    )


def _info(
    capture: AttributionCapture | None, link: OrderAttributionLink | None = None
) -> AttributionInfo | None:
    if capture is None and link is None:
        return None
    signed = capture is not None and capture.signature_valid
    return AttributionInfo(
        attribution_id=capture.attribution_id if signed else "",
        referral_code=capture.referral_code if signed and not capture.referral_code_blocked else "",
        coupon_code=capture.friend_coupon if capture else "",
        device_id=(link.device_id if link else "") or (capture.device_id if capture else ""),
        user_agent=(link.user_agent if link else "") or (capture.user_agent if capture else ""),
        ip_address=str((link.ip_address if link else None) or (capture.ip_address if capture else "") or ""),
    )


def _latest(queryset: QuerySet[AttributionCapture]) -> AttributionCapture | None:
    return queryset.order_by("-created_at", "-id").first()


# --- services (writes) --------------------------------------------------------------------------


def capture_record(
    *,
    store,
    device_id: str,
    cart_id: str = "",
    visitor_status: dict | None = None,
    friend_coupon: str = "",
    user_agent: str = "",
    ip_address: str | None = None,
    customer_id: int | None = None,
    email: str = "",
) -> AttributionCapture | None:
    """Store one capture report; None when it carries nothing to attribute (no code, no coupon)."""
    status = visitor_status or {}
    payload = status.get("payload") if isinstance(status.get("payload"), dict) else {}
    advocate = payload.get("advocate") if isinstance(payload.get("advocate"), dict) else {}
    attribution_id = _text(payload.get("attributionId"), 128)
    referral_code = _text(payload.get("referralCode"), 128)
    friend_coupon = _text(friend_coupon, 64)
    if not (attribution_id or referral_code or friend_coupon):
        return None
    connection = _connection(store)
    signature_valid = (
        bool(payload)
        and connection is not None
        and visitor_status_signature_valid(
            payload=payload, signature=_text(status.get("signature"), 512), secret=connection.webhook_secret
        )
    )
    return AttributionCapture.objects.create(
        store=store,
        device_id=_text(device_id, 64),
        cart_id=_text(cart_id, 64),
        bc_customer_id=customer_id,
        email=_text(email, 254),
        attribution_id=attribution_id,
        referral_code=referral_code,
        campaign_id=_text(payload.get("campaignId"), 64),
        advocate_customer_id=_text(advocate.get("customerId"), 64),
        is_self_referral=payload.get("isSelfReferral") is True,
        referral_code_blocked=payload.get("referralCodeBlocked") is True,
        friend_coupon=friend_coupon,
        user_agent=_text(user_agent, 512),
        ip_address=ip_address or None,
        signature_valid=signature_valid,
    )


def order_link_record(
    *,
    store,
    order_id: int,
    device_id: str,
    cart_id: str = "",
    user_agent: str = "",
    ip_address: str | None = None,
    customer_id: int | None = None,
) -> tuple[OrderAttributionLink, bool]:
    """Record that a device placed an order (`customer_id` only from a verified JWT); a device's first
    report for an order wins. A report for an order we know must prove it (OrderNotProven); before the
    order arrives, reports are kept (TooManyOrderLinks past the cap) and judged when the order is read."""
    device_id, cart_id = _text(device_id, 64), _text(cart_id, 64)
    existing = OrderAttributionLink.objects.filter(store=store, bc_order_id=order_id, device_id=device_id).first()
    if existing is not None:
        return existing, False
    order = OrderSnapshot.objects.filter(store=store, bc_order_id=order_id).values("cart_id", "customer_id").first()
    if order is None and OrderAttributionLink.objects.filter(
        store=store, bc_order_id=order_id
    ).count() >= MAX_UNPROVEN_LINKS_PER_ORDER:
        raise TooManyOrderLinks(order_id)
    candidates = _trusted_captures(store)
    capture = _latest(candidates.filter(device_id=device_id)) or (
        _latest(candidates.filter(cart_id=cart_id)) if cart_id else None
    )
    try:
        with transaction.atomic():
            link = OrderAttributionLink.objects.create(
                store=store,
                bc_order_id=order_id,
                device_id=device_id,
                cart_id=cart_id,
                bc_customer_id=customer_id,
                capture=capture,
                user_agent=_text(user_agent, 512),
                ip_address=ip_address or None,
            )
            proof = link_proves_order_q(order_cart=order and order["cart_id"], order_customer=order and order["customer_id"])
            if order is not None and not OrderAttributionLink.objects.filter(pk=link.pk).filter(proof).exists():
                raise OrderNotProven(order_id)
    except IntegrityError:
        return OrderAttributionLink.objects.get(store=store, bc_order_id=order_id, device_id=device_id), False
    return link, True


def shopper_identify(*, store, customer_id: int, email: str) -> tuple[str, str]:
    """(authString, signature) for Friendbuy's ["auth", …] command, signed with the store's Secret Key."""
    connection = _connection(store)
    if connection is None or not connection.webhook_secret:
        raise FriendbuyNotConnected(f"store {store.store_hash} has no Friendbuy connection")
    now = timezone.now()
    updated = ShopperIdentification.objects.filter(store=store, bc_customer_id=customer_id).update(
        email=email, last_identified_at=now, identified_count=F("identified_count") + 1
    )
    if not updated:
        try:
            with transaction.atomic():
                ShopperIdentification.objects.create(
                    store=store, bc_customer_id=customer_id, email=email, last_identified_at=now
                )
        except IntegrityError:
            pass  # a concurrent page view recorded it
    return customer_auth_signature(
        secret=connection.webhook_secret, email=email, customer_id=str(customer_id)
    )


# --- selectors (reads) --------------------------------------------------------------------------


def order_link_for(
    *, store, order_id: int, cart_id: str | None, customer_id: int | None
) -> OrderAttributionLink | None:
    """The order's believed link: an accepted referral first (latest capture), else the latest believed one.

    One query for the order's believed links (a handful: one per reporting device), judged here as
    accepted_referral_link_q judges them in SQL, instead of one query per preference.
    """
    believed = list(
        OrderAttributionLink.objects.filter(store=store, bc_order_id=order_id)
        .filter(link_proves_order_q(order_cart=cart_id or None, order_customer=customer_id or None))
        .select_related("capture")
        .order_by("-created_at", "-id")
    )
    accepted = [link for link in believed if _is_accepted_referral(link)]
    if accepted:
        return max(accepted, key=lambda link: (link.capture.created_at, link.capture_id))
    return believed[0] if believed else None


def _is_accepted_referral(link: OrderAttributionLink) -> bool:
    """accepted_referral_link_q's capture half, for a link already known to prove its order."""
    capture = link.capture
    return capture is not None and capture.signature_valid and not capture.is_self_referral


def accepted_referral_links(*, store_id: int, order_ids=None) -> QuerySet[OrderAttributionLink]:
    """Every link that makes its stored order referred (the reports), judged as attribution judges one order."""
    orders = OrderSnapshot.objects.filter(store_id=OuterRef("store_id"), bc_order_id=OuterRef("bc_order_id"))
    links = OrderAttributionLink.objects.filter(store_id=store_id)
    if order_ids is not None:
        links = links.filter(bc_order_id__in=order_ids)
    return links.annotate(
        order_cart=Subquery(orders.values("cart_id")[:1]),
        order_customer=Subquery(orders.values("customer_id")[:1]),
    ).filter(accepted_referral_link_q(order_cart=F("order_cart"), order_customer=F("order_customer")))


def attribution_for_order(
    *,
    store,
    order_id: int,
    cart_id: str | None,
    customer_id: int | None,
    email: str | None,
    link: OrderAttributionLink | object | None = _UNKNOWN,
) -> AttributionInfo | None:
    """The attribution for an order: its believed link's capture, else the latest trusted capture of the
    order's cart, customer id or email. A link counts only when it proves the order (link_proves_order_q).

    `link`: the order's believed link (order_link_for) when the caller already looked it up (None: it has
    none); left out, it is looked up here."""
    candidates = _trusted_captures(store)
    if link is _UNKNOWN:
        link = order_link_for(store=store, order_id=order_id, cart_id=cart_id, customer_id=customer_id)
    capture = link.capture if link is not None else None  # chosen from the trusted captures when linked
    if capture is None and cart_id:
        capture = _latest(candidates.filter(cart_id=str(cart_id)))
    if capture is None and customer_id:
        capture = _latest(candidates.filter(bc_customer_id=customer_id))
    if capture is None and email:
        capture = _latest(candidates.filter(email__iexact=email.strip()))
    return _info(capture, link)


def attribution_for_customer(*, store, customer_id: int | None, email: str | None) -> AttributionInfo | None:
    """The attribution for a sign-up: the latest trusted capture by customer id, else by email."""
    candidates = _trusted_captures(store)
    capture = _latest(candidates.filter(bc_customer_id=customer_id)) if customer_id else None
    if capture is None and email:
        capture = _latest(candidates.filter(email__iexact=email.strip()))
    return _info(capture)


def is_captured_friend_coupon(*, store, code: str) -> bool:
    """Did a storefront capture see this code handed out by Friendbuy's friend-incentive widget?"""
    code = (code or "").strip()
    return bool(code) and AttributionCapture.objects.filter(store=store, friend_coupon__iexact=code).exists()


def friend_coupon_codes(*, store) -> set[str]:
    """Every friend coupon captured for the store, lower-cased (Friendbuy codes are case-insensitive)."""
    codes = (
        AttributionCapture.objects.filter(store=store)
        .exclude(friend_coupon="")
        .values_list("friend_coupon", flat=True)
        .distinct()
    )
    return {code.lower() for code in codes}


def referral_status_for_shopper(*, store, customer_id: int, email: str) -> dict:
    """What we know of how this shopper was referred (widget API `me/referral-status`)."""
    mine = AttributionCapture.objects.filter(store=store).filter(
        Q(bc_customer_id=customer_id) | (Q(email__iexact=email) if email else Q(pk__in=[]))
    )
    trusted = _latest(mine.filter(signature_valid=True, is_self_referral=False))
    self_referral = mine.filter(signature_valid=True, is_self_referral=True).exists()
    orders = list(
        OrderAttributionLink.objects.filter(store=store, capture__in=mine)
        .order_by("bc_order_id")
        .values_list("bc_order_id", flat=True)[:50]
    )
    return {
        "referred": trusted is not None,
        "referredBy": None
        if trusted is None
        else {
            "advocateCustomerId": trusted.advocate_customer_id,
            "referralCode": trusted.referral_code,
            "campaignId": trusted.campaign_id,
            "capturedAt": trusted.created_at,
        },
        "isSelfReferral": self_referral,
        "friendCoupon": (trusted.friend_coupon if trusted else "") or "",
        "linkedOrderIds": orders,
    }


def identification_for_shopper(*, store, customer_id: int) -> ShopperIdentification | None:
    return ShopperIdentification.objects.filter(store=store, bc_customer_id=customer_id).first()


def is_friend_code(*, store: Store, code: str) -> bool:
    """Is `code` (any case) a friend's code: learned from friendIncentive/emailCapture, or minted by us
    for a friend reward?"""
    code = canonical(code)
    if not code:
        return False
    return (FriendCode.objects.filter(store=store, code=code).exists()
            or Reward.objects.filter(store=store, recipient=Reward.Recipient.FRIEND, coupon__code=code).exists())
