"""The people an order or reward involves, as fraud subjects (customer, emails, IP, device, addresses)."""
from __future__ import annotations

from django.db.models import Q

from fraud import normalise
from fraud.subjects import Person
from referrals.attribution.in_sync import link_just_found
from referrals.attribution.services import order_link_for
from referrals.models import (
    AttributionCapture,
    CustomerIdentity,
    OrderAttributionLink,
    OrderSnapshot,
)
from referrals.orders.identity import friendbuy_customer_id, normalize_email
from storefront.models import Store


def _addresses(addresses) -> tuple[tuple[str, ...], str]:
    hashes = tuple(h for h in (normalise.address_hash(a) for a in addresses or []) if h)
    first = normalise.address_text((addresses or [None])[0])
    return hashes, first


def attribution_link_of(snapshot: OrderSnapshot) -> OrderAttributionLink | None:
    """The order's believed link; the one its running sync just looked up, when there is one."""
    known, link = link_just_found(store_id=snapshot.store_id, order_id=snapshot.bc_order_id,
                                  cart_id=snapshot.cart_id, customer_id=snapshot.customer_id)
    if known:
        return link
    return order_link_for(store=snapshot.store, order_id=snapshot.bc_order_id, cart_id=snapshot.cart_id,
                          customer_id=snapshot.customer_id)


_UNKNOWN = object()


def person_for_order(*, snapshot: OrderSnapshot, billing: dict | None = None, transactions=None,
                     link: OrderAttributionLink | object | None = _UNKNOWN) -> Person:
    """The shopper behind an order, with the device and user agent the storefront reported for it.

    `link`: the order's attribution link when the caller already looked it up (None: it has none).
    """
    store = snapshot.store
    if link is _UNKNOWN:
        link = attribution_link_of(snapshot)
    shipping, shipping_text = _addresses(snapshot.shipping_addresses)
    billing_hash = normalise.address_hash(billing) if billing else ""
    key = (snapshot.identity.friendbuy_customer_id if snapshot.identity_id else "") or friendbuy_customer_id(
        store_hash=store.store_hash, bc_customer_id=snapshot.customer_id or None, email=snapshot.email)
    return Person(
        customer_key=key if (snapshot.customer_id or snapshot.email) else "",
        bc_customer_id=str(snapshot.customer_id or ""), email=snapshot.email,
        email_normalized=snapshot.normalized_email or normalize_email(snapshot.email),
        ip=snapshot.ip_address or (link.ip_address or "" if link else ""),
        user_agent=snapshot.user_agent or (link.user_agent if link else ""),
        device_id=link.device_id if link else "", billing_address_hash=billing_hash,
        shipping_address_hashes=shipping, payment_fingerprint=normalise.payment_fingerprint(transactions),
        address_display=(normalise.address_text(billing) if billing else "") or shipping_text,
    )


def advocate_person(*, store: Store, customer_id: str = "", email: str = "",
                    exclude_order_id: int | None = None) -> Person | None:
    """The advocate as we know them: their identity, latest order and latest referral visit."""
    normalized = normalize_email(email)
    bc_id = int(customer_id) if customer_id.isdigit() else None
    if not (customer_id or normalized):
        return None
    identity = CustomerIdentity.objects.filter(store=store).filter(
        Q(friendbuy_customer_id=customer_id) if customer_id else Q(normalized_email=normalized)).first()
    if identity is None and customer_id and normalized:
        identity = CustomerIdentity.objects.filter(store=store, normalized_email=normalized).first()
    if identity is not None:
        bc_id = bc_id or identity.bc_customer_id
        normalized = normalized or identity.normalized_email
        email = email or identity.email
    orders = OrderSnapshot.objects.filter(store=store).filter(
        (Q(customer_id=bc_id) if bc_id else Q(pk__in=[])) | (Q(normalized_email=normalized) if normalized else Q(pk__in=[]))
    ).exclude(bc_order_id=exclude_order_id or 0).select_related("store", "identity").order_by("-bc_order_id")
    # The order being assessed is never the advocate's evidence (an alias shares the normalised email).
    latest = orders.first()
    if latest is not None:
        person = person_for_order(snapshot=latest)
        return Person(**{**person.__dict__, "customer_key": identity.friendbuy_customer_id if identity
                         else (customer_id or person.customer_key), "email": email or person.email,
                         "email_normalized": normalized or person.email_normalized,
                         "bc_customer_id": str(bc_id or "")})
    capture = AttributionCapture.objects.filter(store=store).filter(
        (Q(bc_customer_id=bc_id) if bc_id else Q(pk__in=[])) | (Q(email__iexact=email) if email else Q(pk__in=[]))
    ).order_by("-created_at").first()
    key = identity.friendbuy_customer_id if identity else (
        customer_id or friendbuy_customer_id(store_hash=store.store_hash, bc_customer_id=bc_id, email=email))
    return Person(
        customer_key=key, bc_customer_id=str(bc_id or ""), email=email, email_normalized=normalized,
        ip=(capture.ip_address or "") if capture else "", user_agent=capture.user_agent if capture else "",
        device_id=capture.device_id if capture else "",
    )
