"""The catalogue of custom events this app sends, each store's switches, and the one way to owe an event.

Every event goes out through rewards.loyalty_custom_event: a LoyaltyEvent row unique per (store,
deduplicationId) is the local idempotency key (DB-enforced), sent after commit and retried by the beat
sweep; Friendbuy also refuses to reward a repeated (eventType, deduplicationId) (friendbuy.md §2.5.3).
"""
from __future__ import annotations

from decimal import Decimal

from django.db.models import Count
from django.utils import timezone

from referrals.earning.send import loyalty_custom_event
from storefront.models import Store

from ..models import EarningSettings, LoyaltyEvent, OutboxEvent, ReviewScan

# Account creation is Friendbuy's own account-sign-up event (the lifecycle outbox sends it, once per
# customer), not a custom event; it has its switch and its row on the merchant page all the same.
ACCOUNT_SIGN_UP = "account-sign-up"
SIGN_UP_SWITCH = "sign_up_enabled"
SIGN_UP_MEANING = ("A shopper created an account (BigCommerce store/customer/created), sent as Friendbuy's "
                   "account sign-up event.")
NEWSLETTER = "newsletter_subscribed"
BIRTHDAY = "birthday"
ORDER_REFUNDED = "order_refunded"
ORDER_PARTIALLY_REFUNDED = "order_partially_refunded"
ORDER_CANCELLED = "order_cancelled"
ORDER_CHARGEBACK = "order_chargeback"
CODE_USED = "referral_code_used"
PRODUCT_REVIEW = "product_review"

# eventType → (what it means for the merchant page, the EarningSettings switch that controls it).
CATALOGUE: dict[str, tuple[str, str]] = {
    NEWSLETTER: ("A shopper signed up to the newsletter (BigCommerce store/subscriber/created).",
                 "newsletter_enabled"),
    BIRTHDAY: ("It is the customer's birthday (the field named below; checked daily).", "birthday_enabled"),
    ORDER_REFUNDED: ("An order was refunded in full (amount = total refunded).", "reversals_enabled"),
    ORDER_PARTIALLY_REFUNDED: ("Part of an order was refunded (amount = total refunded so far).",
                               "reversals_enabled"),
    ORDER_CANCELLED: ("An order was cancelled.", "reversals_enabled"),
    ORDER_CHARGEBACK: ("An order was disputed (chargeback).", "reversals_enabled"),
    CODE_USED: ("A referral or friend code was used at checkout on a paid order.", "code_use_enabled"),
    PRODUCT_REVIEW: ("A shopper's product review was approved (found by the hourly review scan; needs the "
                     "optional Products read-only scope).", "reviews_enabled"),
}


def earning_settings_for(*, store: Store) -> EarningSettings:
    """The store's switches; the defaults (unsaved) when the merchant never changed them."""
    return EarningSettings.objects.filter(store=store).first() or EarningSettings(store=store)


def earning_enabled(*, store: Store, event_type: str) -> bool:
    return bool(getattr(earning_settings_for(store=store), CATALOGUE[event_type][1]))


def earning_event_owe(*, store: Store, event_type: str, deduplication_id: str, email: str, customer_id: str,
                      properties: dict[str, str | Decimal | int] | None = None) -> LoyaltyEvent | None:
    """Owe Friendbuy this custom event once, if the store has it switched on; None when switched off or
    when there is no email (Friendbuy requires one on custom events)."""
    if not email or not earning_enabled(store=store, event_type=event_type):
        return None
    return loyalty_custom_event(
        store=store, customer_id=customer_id, email=email, event_type=event_type,
        deduplication_id=f"{event_type}:{deduplication_id}",
        properties={k: str(v) for k, v in (properties or {}).items() if v not in (None, "")},
    )


def earning_event_counts(*, store: Store) -> list[dict]:
    """For the merchant page: account sign-ups (outbox) then each custom event type, with its switch and
    how many are sent, pending and failed."""
    counts: dict[str, dict[str, int]] = {}
    rows = LoyaltyEvent.objects.filter(store=store).values("event_type", "state").annotate(n=Count("id"))
    for row in rows:
        counts.setdefault(row["event_type"], {})[row["state"]] = row["n"]
    sign_ups = dict(OutboxEvent.objects.filter(store=store, kind=OutboxEvent.Kind.SIGN_UP)
                    .values_list("state").annotate(n=Count("id")))
    counts[ACCOUNT_SIGN_UP] = {
        LoyaltyEvent.State.SENT: sign_ups.get(OutboxEvent.State.SENT, 0),
        LoyaltyEvent.State.PENDING: sign_ups.get(OutboxEvent.State.PENDING, 0)
        + sign_ups.get(OutboxEvent.State.SENDING, 0),
        LoyaltyEvent.State.FAILED: sign_ups.get(OutboxEvent.State.FAILED, 0) + sign_ups.get(OutboxEvent.State.DEAD, 0),
    }
    settings = earning_settings_for(store=store)
    shown: set[str] = set()
    catalogue = {ACCOUNT_SIGN_UP: (SIGN_UP_MEANING, SIGN_UP_SWITCH), **CATALOGUE}
    return [
        {"event_type": event_type, "meaning": meaning, "enabled": bool(getattr(settings, switch)),
         "switch": switch, "switch_here": switch not in shown and not shown.add(switch),
         "sent": counts.get(event_type, {}).get(LoyaltyEvent.State.SENT, 0),
         "pending": counts.get(event_type, {}).get(LoyaltyEvent.State.PENDING, 0),
         "failed": counts.get(event_type, {}).get(LoyaltyEvent.State.FAILED, 0)}
        for event_type, (meaning, switch) in catalogue.items()
    ]


def earning_settings_save(*, store: Store, sign_up_enabled: bool, newsletter_enabled: bool,
                          reversals_enabled: bool, code_use_enabled: bool, birthday_enabled: bool,
                          birthday_field: str, reviews_enabled: bool = False) -> EarningSettings:
    """The merchant's switches (the view lets only the store owner call this). Switching reviews on starts
    the review scan afresh from now: reviews approved before (or while it was off) do not earn."""
    was_reviewing = EarningSettings.objects.filter(store=store, reviews_enabled=True).exists()
    settings, _ = EarningSettings.objects.update_or_create(store=store, defaults={
        "sign_up_enabled": sign_up_enabled,
        "newsletter_enabled": newsletter_enabled, "reversals_enabled": reversals_enabled,
        "code_use_enabled": code_use_enabled, "birthday_enabled": birthday_enabled,
        "birthday_field": birthday_field.strip()[:255], "reviews_enabled": reviews_enabled})
    if reviews_enabled and not was_reviewing:
        ReviewScan.objects.update_or_create(store=store, defaults={
            "since": timezone.now(), "pass_started_at": None, "next_product_id": 0, "next_page": 1, "reason": ""})
    return settings
