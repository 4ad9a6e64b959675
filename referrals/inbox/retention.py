"""How long the Friendbuy inbox keeps its rows: referrals' rules for storefront.retention.

Validation callbacks live and die with their delivery row (a one-to-one that cascades), so a verified
callback's delivery is kept for RETENTION_VALIDATION_CALLBACKS_DAYS and its callback with it; the
callback row of an unverified call goes with its delivery after RETENTION_UNAUTHENTICATED_DAYS.
"""

from django.db.models import Q

from referrals.models import FriendbuyDelivery
from storefront.retention import RetentionRule, retention_register

D = FriendbuyDelivery
_WEBHOOK, _VALIDATION = Q(kind=D.Kind.WEBHOOK), Q(kind=D.Kind.VALIDATION)

RULES = (
    RetentionRule("friendbuy_deliveries_processed", D, Q(valid=True, status=D.Status.PROCESSED) & _WEBHOOK,
                  "RETENTION_PROCESSED_DAYS", "received_at", "processed webhooks"),
    RetentionRule("friendbuy_deliveries_failed", D,
                  Q(valid=True, status__in=[D.Status.FAILED, D.Status.DEAD, D.Status.MALFORMED]) & _WEBHOOK,
                  "RETENTION_FAILURES_DAYS", "received_at", "failed, dead-lettered or malformed webhooks"),
    RetentionRule("friendbuy_validation_callbacks", D, Q(valid=True) & _VALIDATION,
                  "RETENTION_VALIDATION_CALLBACKS_DAYS", "received_at", "verified validation callbacks"),
    RetentionRule("friendbuy_deliveries_unauthenticated", D, Q(valid=False), "RETENTION_UNAUTHENTICATED_DAYS",
                  "received_at", "unauthenticated calls"),
)


def retention_rules_register() -> None:
    for rule in RULES:
        retention_register(rule)
