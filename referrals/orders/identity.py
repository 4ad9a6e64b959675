"""Who a shopper is, across BigCommerce and Friendbuy.

Mapping (the contract other code and the README rely on):

* A **registered** BigCommerce customer is sent to Friendbuy with ``customerId`` = their BigCommerce
  customer id as a string (``"42"``). It never changes, even when the email does.
* A **guest** (order ``customer_id`` 0) has no id of their own, but Friendbuy requires a ``customerId``
  on purchases. Guests get a stable surrogate::

      guest-<first 24 hex digits of sha256(store_hash + ":" + normalised email)>

  Stable: the same guest email always maps to the same id in one store, so repeat guest purchases
  are one Friendbuy customer. Opaque: the email cannot be read back from it. Scoped: the store hash
  makes the id differ between stores sharing one Friendbuy account.
* The **normalised email** (lower-cased, trimmed; for gmail.com/googlemail.com dots removed and the
  domain folded to gmail.com; a ``+tag`` removed for providers that deliver plus-addresses to the
  base mailbox) is used for matching only (guest ids, "new customer" checks, fraud signals);
  Friendbuy receives the email exactly as the shopper typed it.
"""

from __future__ import annotations

import hashlib

from django.db import IntegrityError, transaction

from referrals.models import CustomerIdentity

GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}
# Providers documented to deliver local+tag@domain to local@domain.
PLUS_TAG_DOMAINS = GMAIL_DOMAINS | {
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "fastmail.com",
    "fastmail.fm",
    "protonmail.com",
    "proton.me",
    "pm.me",
    "yahoo.com",
    "zoho.com",
}


def normalize_email(email: str | None) -> str:
    """Lower-case and trim; fold Gmail dots/+tags and other providers' +tags. '' for no email."""
    value = (email or "").strip().lower()
    if "@" not in value:
        return value
    local, _, domain = value.rpartition("@")
    if domain in PLUS_TAG_DOMAINS:
        local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def guest_customer_id(*, store_hash: str, normalized_email: str) -> str:
    """The Friendbuy customerId of a guest (see the module docstring)."""
    digest = hashlib.sha256(f"{store_hash}:{normalized_email}".encode()).hexdigest()
    return f"guest-{digest[:24]}"


def friendbuy_customer_id(*, store_hash: str, bc_customer_id: int | None, email: str | None) -> str:
    """customerId for Friendbuy: the BigCommerce id for registered customers, else the guest surrogate."""
    if bc_customer_id:
        return str(bc_customer_id)
    return guest_customer_id(store_hash=store_hash, normalized_email=normalize_email(email))


def identity_upsert(
    *, store, bc_customer_id: int | None, email: str, first_name: str = "", last_name: str = ""
) -> CustomerIdentity | None:
    """Find or create the identity for a customer id or a guest email and refresh its details.

    None when there is nothing to identify the shopper by (a guest without an email). Concurrent
    callers for the same shopper meet on the unique (store, friendbuy_customer_id) constraint.
    """
    bc_customer_id = bc_customer_id or None
    normalized = normalize_email(email)
    if bc_customer_id is None and not normalized:
        return None
    fb_id = friendbuy_customer_id(store_hash=store.store_hash, bc_customer_id=bc_customer_id, email=email)
    fields = {
        "bc_customer_id": bc_customer_id,
        "email": (email or "").strip(),
        "normalized_email": normalized,
        "first_name": first_name or "",
        "last_name": last_name or "",
        "is_guest": bc_customer_id is None,
    }
    identity = CustomerIdentity.objects.filter(store=store, friendbuy_customer_id=fb_id).first()
    if identity is None:
        try:
            with transaction.atomic():
                return CustomerIdentity.objects.create(store=store, friendbuy_customer_id=fb_id, **fields)
        except IntegrityError:
            identity = CustomerIdentity.objects.get(store=store, friendbuy_customer_id=fb_id)
    changed = [
        name for name, value in fields.items() if value not in ("", None) and getattr(identity, name) != value
    ]
    if identity.erased_at is not None and changed:
        # An erased shopper who comes back is a new data subject: keep only what they give us now.
        identity.erased_at = None
        changed.append("erased_at")
        fields["erased_at"] = None
    if changed:
        for name in changed:
            setattr(identity, name, fields[name])
        identity.save(update_fields=[*changed, "last_seen"])
    return identity
