"""The plain data the fraud services take (callers build it from their own models; fraud imports none)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class Person:
    """What we know of one shopper at the moment of the subject. Empty strings mean "not known"."""

    customer_key: str = ""  # Friendbuy customerId (BigCommerce id as text, or guest-<hash>)
    bc_customer_id: str = ""
    email: str = ""  # raw, as typed: the identity
    email_normalized: str = ""  # for matching only
    ip: str = ""
    user_agent: str = ""
    device_id: str = ""
    billing_address_hash: str = ""
    shipping_address_hashes: tuple[str, ...] = ()
    payment_fingerprint: str = ""
    address_display: str = ""  # normalised text of the first address, for reviewers

    def as_dict(self) -> dict:
        return {
            "customer_key": self.customer_key, "bc_customer_id": self.bc_customer_id, "email": self.email,
            "email_normalized": self.email_normalized, "ip": self.ip, "user_agent": self.user_agent[:200],
            "device_id": self.device_id, "address": self.address_display,
            "has_payment_fingerprint": bool(self.payment_fingerprint),
        }


@dataclass(frozen=True)
class Subject:
    """One thing to assess: a referral conversion (the friend's paid order), a reward or a redemption."""

    subject_type: str  # Assessment.SubjectType
    reference: str  # order id / rewardId / "<code>:<order id>"
    who: Person
    advocate: Person | None = None
    referral_code: str = ""
    coupon_codes: tuple[str, ...] = ()
    bc_order_id: int | None = None
    order_reference: str = ""  # e.g. the order number shown to reviewers
    amount: Decimal = Decimal("0")
    prior_paid_orders: int = 0  # the friend's paid orders before this one
    referred_by_link: bool = True  # a referral visit (capture) led to it, not just a code
    code_owner: Person | None = None  # redemption: who the code was issued to
    code_state: str = ""  # redemption: the code's state when used (active, disabled, expired…)
    at: datetime | None = None
    extra: dict = field(default_factory=dict)
