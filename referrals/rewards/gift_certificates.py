"""Gift certificate rewards in BigCommerce (marketing v2): created once per reward, disabled on reversal.

The code is fixed before the POST and stored on the RewardFulfilment: the Friendbuy Code Bank code when
the reward carries one (Friendbuy emails it itself, so that code must be the one that works), else one
derived from the reward (HMAC of the store and reward id under SECRET_KEY: not guessable from the reward
id). A POST is never resent blindly: a retry first asks for the certificate by its code, and a 409 for a
code already in use is answered the same way, so a creation whose answer was lost is recognised
instead of doubled. BigCommerce sends no email for a certificate created through the API: the code is in
the reward's history and the support file.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from email.utils import format_datetime

from django.conf import settings
from django.utils import timezone

from referrals.models import CreditSettings, Reward, RewardFulfilment
from storefront.bigcommerce import BigCommerceClient, BigCommerceConflict, BigCommerceNotFound, parse_money
from storefront.models import Store

CODE_LIMIT = 20  # BigCommerce keeps a code's first 20 characters
CODE_SHAPE = re.compile(r"^[A-Za-z0-9-]{4,20}$")
ALPHABET = str.maketrans("01", "89")  # base32 has no 0/1; keep 8/9 so the code has no look-alikes (O/0, I/1)
MESSAGE = "A reward for referring a friend: use this code at checkout."


class CertificateRefused(Exception):
    """The certificate can't be made as asked (code taken by another certificate, no email): staff look."""


@dataclass(frozen=True)
class CertificateReversal:
    disabled: Decimal  # balance that can no longer be spent
    spent: Decimal  # already spent: the clawback


def gift_certificate_code(*, store: Store, reward: Reward) -> str:
    """The reward's certificate code: Friendbuy's own (Code Bank) when usable, else derived from the reward."""
    given = (reward.friendbuy_coupon_code or "").strip()
    if CODE_SHAPE.match(given):
        return given.upper()
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{store.store_hash}:{reward.friendbuy_reward_id}".encode(),
                      hashlib.sha256).digest()
    raw = base64.b32encode(digest).decode().rstrip("=")[:15]
    return "GC-" + "-".join(raw[i:i + 5] for i in range(0, 15, 5))  # GC-XXXXX-XXXXX-XXXXX: 20 characters


def _body(*, fulfilment: RewardFulfilment, config: CreditSettings, store: Store) -> dict:
    email = fulfilment.email
    return {
        "to_name": email.split("@")[0][:100] or email,
        "to_email": email,
        "from_name": config.gift_certificate_from_name or "Referral rewards",
        "from_email": config.gift_certificate_from_email or store.owner_email or f"rewards@{store.store_hash}.example",
        "amount": f"{fulfilment.amount:.2f}",
    }


def _matches(found: dict, fulfilment: RewardFulfilment) -> bool:
    return (str(found.get("to_email", "")).lower() == fulfilment.email.lower()
            and parse_money(found.get("amount")) == fulfilment.amount)


def gift_certificate_issue(*, fulfilment: RewardFulfilment, config: CreditSettings,
                           client: BigCommerceClient) -> dict:
    """The certificate of this fulfilment in BigCommerce: found by its code, else created with it."""
    store = fulfilment.store
    if not fulfilment.email:
        raise CertificateRefused("The reward has no email address to send a gift certificate to")
    found = client.find_gift_certificate(fulfilment.gift_certificate_code)
    if found is None:
        body = {**_body(fulfilment=fulfilment, config=config, store=store),
                "code": fulfilment.gift_certificate_code, "message": MESSAGE}
        if fulfilment.currency:
            body["currency_code"] = fulfilment.currency
        if fulfilment.expires_at:
            body["expiry_date"] = format_datetime(fulfilment.expires_at)
        try:
            return client.create_gift_certificate(body)
        except BigCommerceConflict:
            found = client.find_gift_certificate(fulfilment.gift_certificate_code)
            if found is None:
                raise
    if not _matches(found, fulfilment):
        raise CertificateRefused(f"The code {fulfilment.gift_certificate_code} belongs to another gift certificate "
                                 f"(to {found.get('to_email')}, {found.get('amount')})")
    return found


def gift_certificate_expiry(*, config: CreditSettings):
    days = config.gift_certificate_expiry_days
    return timezone.now() + timedelta(days=days) if days else None


def gift_certificate_disable(*, fulfilment: RewardFulfilment, config: CreditSettings,
                             client: BigCommerceClient) -> CertificateReversal:
    """Disable what is left of the certificate; what was already spent is the clawback."""
    try:
        found = client.get_gift_certificate(fulfilment.gift_certificate_id)
    except BigCommerceNotFound:
        # Deleted in the control panel: nothing left to spend; we can't tell what was spent before.
        return CertificateReversal(disabled=Decimal("0.00"), spent=Decimal("0.00"))
    balance = parse_money(found.get("balance")).quantize(Decimal("0.01"))
    spent = max(fulfilment.amount - balance, Decimal("0.00"))
    if found.get("status") in ("active", "pending"):
        body = {**_body(fulfilment=fulfilment, config=config, store=fulfilment.store),
                "to_name": found.get("to_name") or fulfilment.email, "to_email": found.get("to_email"),
                "from_name": found.get("from_name"), "from_email": found.get("from_email"),
                "amount": f"{parse_money(found.get('amount')):.2f}", "status": "disabled"}
        client.update_gift_certificate(fulfilment.gift_certificate_id, body)
    return CertificateReversal(disabled=balance, spent=spent)
