"""Who an advocate is, for a manual referral: an email or customer id resolved against what the store
knows (customer identities, Friendbuy reward webhooks, friend codes from emailCapture/friendIncentive,
signed referral visits), with the referral codes and campaigns seen for them. A value none of these
name is not an advocate, and the manual referral refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from referrals.models import AttributionCapture, FriendCode, Reward
from referrals.support.selectors import PersonKeys, person_keys, person_label, support_search

MAX_SUGGESTIONS = 10


@dataclass(frozen=True)
class KnownAdvocate:
    """An advocate the store knows, with what a purchase event for their referral needs."""

    label: str
    keys: PersonKeys
    referral_codes: list[str] = field(default_factory=list)
    campaigns: list[str] = field(default_factory=list)

    @property
    def customer_ids(self) -> set[str]:
        return set(self.keys.fb_ids)


def _iexact_any(field_name: str, values) -> Q:
    match = Q(pk__in=[])
    for value in list(values)[:20]:
        match |= Q(**{f"{field_name}__iexact": value})
    return match


def known_advocate(*, store_id: int, term: str) -> KnownAdvocate | None:
    """The advocate `term` (an email, a BigCommerce or Friendbuy customer id) names in this store, or None
    when no identity, reward, friend code or signed referral visit names it."""
    term = (term or "").strip()
    if not term or len(term) > 254 or " " in term:
        return None
    if "@" in term:
        keys = person_keys(store_id=store_id, emails=[term])
    else:
        keys = person_keys(store_id=store_id, fb_ids=[term])
    known = bool(keys.identities) or Reward.objects.filter(store_id=store_id).filter(
        Q(customer_id__in=keys.fb_ids) | _iexact_any("email", keys.raw_emails)).exists()
    fb_ids = keys.fb_ids
    codes = FriendCode.objects.filter(store_id=store_id).filter(
        Q(advocate_customer_id__in=fb_ids) | _iexact_any("advocate_email", keys.raw_emails)
    ).exclude(referral_code="").values_list("referral_code", "campaign_id")[:200]
    visits = AttributionCapture.objects.filter(store_id=store_id, signature_valid=True,
                                               advocate_customer_id__in=fb_ids).exclude(
        referral_code="").values_list("referral_code", "campaign_id")[:200]
    rewards = Reward.objects.filter(store_id=store_id, recipient=Reward.Recipient.ADVOCATE,
                                    customer_id__in=fb_ids).exclude(campaign_id="").values_list(
        "campaign_id", flat=True)[:200]
    pairs = [*codes, *visits]
    if not (known or pairs):
        return None
    return KnownAdvocate(
        label=person_label(keys), keys=keys,
        referral_codes=sorted({code for code, _ in pairs if code}),
        campaigns=sorted({campaign for _, campaign in pairs if campaign} | set(rewards)),
    )


def advocate_suggestions(*, store_id: int, term: str) -> list[dict]:
    """The people in this store a typed term may mean (for the advocate picker): label and the value to use."""
    out = []
    for match in support_search(query=term, store_id=store_id)[:MAX_SUGGESTIONS]:
        value = match.normalized_email or (str(match.bc_customer_id) if match.bc_customer_id else "") or \
            match.friendbuy_customer_id
        if value:
            out.append({"label": match.label, "value": value, "why": match.why})
    return out
