"""Normalising what shoppers type so that two spellings of one thing match (fraud matching only).

Normalised values are for comparison, never identity: the raw email stays the shopper's identity
and is what Friendbuy receives. Email normalisation itself belongs to `referrals.orders.identity`
(guest ids depend on it); `fraud` must not import `referrals`, so referrals registers its normaliser
here at start-up (`register_email_normalizer`), the same explicit-registry pattern storefront uses
for webhook handlers. Until one is registered we fall back to trim + lower-case.
"""
from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Callable, Iterable, Mapping

from disposable_email_domains import blocklist as _DISPOSABLE_DOMAINS

_email_normalizer: Callable[[str | None], str] | None = None

# Common USPS-style abbreviations; unit designators all fold to "#" so "Apt 4", "Suite 4" and "#4" match.
ABBREVIATIONS = {
    "street": "st", "str": "st", "avenue": "ave", "av": "ave", "road": "rd", "boulevard": "blvd",
    "drive": "dr", "lane": "ln", "court": "ct", "place": "pl", "square": "sq", "parkway": "pkwy",
    "highway": "hwy", "terrace": "ter", "circle": "cir", "north": "n", "south": "s", "east": "e",
    "west": "w", "northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw",
    "apartment": "#", "apt": "#", "suite": "#", "ste": "#", "unit": "#", "no": "#", "number": "#",
    "floor": "fl",
}
_PUNCTUATION = str.maketrans({char: " " for char in string.punctuation if char != "#"})
_SPACES = re.compile(r"\s+")


def register_email_normalizer(normalizer: Callable[[str | None], str]) -> None:
    """Called once at start-up by the app that owns email identity (referrals.orders.identity.normalize_email)."""
    global _email_normalizer
    _email_normalizer = normalizer


def email_key(email: str | None) -> str:
    """The normalised email used for matching ('' for none)."""
    if _email_normalizer is not None:
        return _email_normalizer(email)
    return (email or "").strip().lower()


# Yahoo's "disposable addresses" are base-keyword@yahoo.com. Folding the keyword also folds real
# addresses with a hyphen (mary-jane / mary-ann), so this is a soft "similar email" signal only and
# never part of the identity normalisation (guest ids must not merge two real people).
DASH_TAG_DOMAINS = {"yahoo.com", "ymail.com", "rocketmail.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de"}


def email_similar_key(email: str | None) -> str:
    """email_key plus provider aliases that are too loose to be identity (Yahoo's -keyword)."""
    key = email_key(email)
    local, _, domain = key.rpartition("@")
    if domain in DASH_TAG_DOMAINS and "-" in local:
        return f"{local.split('-', 1)[0]}@{domain}"
    return key


def email_domain(email: str | None) -> str:
    value = (email or "").strip().lower()
    return value.rpartition("@")[2] if "@" in value else ""


def is_disposable_domain(domain: str) -> bool:
    """True for a throwaway-inbox domain (the maintained `disposable-email-domains` list) or its subdomain."""
    domain = (domain or "").strip().lower().rstrip(".")
    parts = domain.split(".")
    return any(".".join(parts[i:]) in _DISPOSABLE_DOMAINS for i in range(len(parts) - 1))


def digest(value: str) -> str:
    """sha256 hex of a normalised value (addresses, IP+UA, payment data are compared by hash)."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def address_text(address: Mapping | str | None) -> str:
    """One comparable line: lower-case, punctuation and spacing removed, common abbreviations folded."""
    if not address:
        return ""
    if isinstance(address, Mapping):
        street = " ".join(str(address.get(k) or "") for k in ("street_1", "street_2", "address1", "address2"))
        tail = " ".join(str(address.get(k) or "") for k in ("city", "zip", "postal_code", "country_iso2"))
        text = f"{street} {tail}"
    else:
        text = str(address)
    text = text.lower().replace("#", " # ").translate(_PUNCTUATION)
    tokens = [ABBREVIATIONS.get(token, token) for token in _SPACES.split(text) if token]
    # "# 4" and "#4" are the same unit; "apt # 4" must not count the designator twice.
    folded: list[str] = []
    for token in tokens:
        if token == "#" and folded and folded[-1] == "#":
            continue
        folded.append(token)
    return " ".join(folded).replace("# ", "#")


def address_hash(address: Mapping | str | None) -> str:
    text = address_text(address)
    return digest(f"address:{text}") if text else ""


def ip_ua_hash(ip: str | None, user_agent: str | None) -> str:
    """IP + user agent together (stronger than the IP alone); '' when either is missing."""
    ip, user_agent = (ip or "").strip(), (user_agent or "").strip()
    return digest(f"ipua:{ip}|{user_agent}") if ip and user_agent else ""


def code_key(code: str | None) -> str:
    """Referral and coupon codes compare case-insensitively, without surrounding spaces."""
    return (code or "").strip().upper()


def payment_fingerprint(transactions: Iterable[Mapping] | None) -> str:
    """A hash of the card (type + last4 + expiry) or the gateway's instrument token, when a transaction has one.

    BigCommerce order transactions expose `credit_card{card_type,card_last4,card_expiry_month,
    card_expiry_year}` and sometimes `payment_instrument_token`; never store them raw. Test-gateway
    transactions are skipped.
    """
    for row in transactions or []:
        if row.get("test") is True:
            # Test gateways share one card number (4111…): it would link every test order to every other.
            continue
        token = str(row.get("payment_instrument_token") or "").strip()
        if token:
            return digest(f"token:{token}")
        card = row.get("credit_card") if isinstance(row.get("credit_card"), Mapping) else None
        if card and card.get("card_last4"):
            parts = (card.get("card_type"), card.get("card_last4"), card.get("card_expiry_month"),
                     card.get("card_expiry_year"))
            return digest("card:" + "|".join(str(p or "").strip().lower() for p in parts))
    return ""


def mask_email(email: str | None) -> str:
    """jane@… style display for evidence text: enough for staff to recognise, not a full address."""
    value = (email or "").strip()
    if "@" not in value:
        return value[:3] + "…" if value else ""
    local, _, domain = value.rpartition("@")
    return f"{local[:4]}…@{domain}"
