"""How long inbound and outbound evidence is kept, and its pruning in bounded batches.

Each rule names one class of rows of one table (e.g. processed webhook deliveries), the setting that
holds its days (0 keeps them forever) and the date that ages them. The defaults (config.settings.base,
README "Configuration"):
- processed or duplicate deliveries (both inboxes) and successful outbound calls: 30 days;
- failures (authenticated but rejected or failed deliveries, failed outbound calls) and reward
  validation callbacks (with their delivery row): 90 days, long enough to answer a merchant's
  question about last quarter's rewards;
- unauthenticated records (delivery rows of calls that proved nothing, refused widget API bodies):
  14 days, since anyone can make them.
Deliveries still waiting to be processed are never pruned.

storefront registers the rules of its own tables here; referrals registers those of its tables at
start-up (its AppConfig.ready), as it does its webhook handlers: storefront never imports referrals.
Pruning deletes at most `batch` rows per statement, by id range (never one giant DELETE that would hold
locks and bloat the WAL), and at most `max_batches` per rule per run; the next run goes on. Deleting
goes through the ORM so that rows pointing at a pruned one are handled as their foreign keys say
(e.g. a reward keeps its data and forgets its delivery).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .models import OutboundCall, RejectedCall, WebhookDelivery

BATCH = 1000
MAX_BATCHES = 100


@dataclass(frozen=True)
class RetentionRule:
    """One class of rows of one table, kept for `settings.<days_setting>` days after `date_field`."""

    key: str
    model: type[models.Model]
    condition: Q
    days_setting: str
    date_field: str
    label: str

    @property
    def days(self) -> int:
        return int(getattr(settings, self.days_setting))


_rules: dict[str, RetentionRule] = {}


def retention_register(rule: RetentionRule) -> None:
    """Add (or replace, by key) a rule; apps call this at start-up."""
    _rules[rule.key] = rule


def retention_rules(*, model: type[models.Model] | None = None) -> list[RetentionRule]:
    return [rule for rule in _rules.values() if model is None or rule.model is model]


def retention_summary(*, model: type[models.Model], keys: tuple[str, ...] = ()) -> str:
    """One line for the admin: what of this table is kept for how long (only the rules `keys` names, if any)."""
    parts = [
        f"{rule.label} {rule.days} days" if rule.days else f"{rule.label} forever"
        for rule in retention_rules(model=model)
        if not keys or rule.key in keys
    ]
    return f"Kept: {'; '.join(parts)}; then deleted by the hourly retention task." if parts else ""


def rule_prune(rule: RetentionRule, *, now: datetime, batch: int = BATCH, max_batches: int = MAX_BATCHES) -> int:
    """Delete the rows of `rule` older than its days, `batch` at a time by id range; returns how many."""
    if rule.days <= 0:
        return 0
    manager = rule.model._default_manager
    expired = manager.filter(rule.condition, **{f"{rule.date_field}__lt": now - timedelta(days=rule.days)})
    deleted = 0
    for _ in range(max_batches):
        ids = list(expired.order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            break
        _, per_model = expired.filter(pk__gte=ids[0], pk__lte=ids[-1]).delete()
        deleted += per_model.get(rule.model._meta.label, 0)
        if len(ids) < batch:
            break
    return deleted


def retention_prune_all(*, now: datetime | None = None, batch: int = BATCH,
                        max_batches: int = MAX_BATCHES) -> dict[str, int]:
    """Prune every registered rule; {rule key: rows deleted}."""
    now = now or timezone.now()
    return {rule.key: rule_prune(rule, now=now, batch=batch, max_batches=max_batches) for rule in retention_rules()}


_KEPT = [WebhookDelivery.Status.PROCESSED, WebhookDelivery.Status.DUPLICATE]
_PENDING = [WebhookDelivery.Status.RECEIVED]
_CALL_OK = Q(status__gte=200, status__lt=300)

for _rule in (
    RetentionRule("webhook_deliveries_processed", WebhookDelivery, Q(authenticated=True, status__in=_KEPT),
                  "RETENTION_PROCESSED_DAYS", "received_at", "processed and duplicate deliveries"),
    RetentionRule("webhook_deliveries_failed", WebhookDelivery,
                  Q(authenticated=True) & ~Q(status__in=_KEPT + _PENDING),
                  "RETENTION_FAILURES_DAYS", "received_at", "rejected and failed deliveries"),
    RetentionRule("webhook_deliveries_unauthenticated", WebhookDelivery, Q(authenticated=False),
                  "RETENTION_UNAUTHENTICATED_DAYS", "received_at", "unauthenticated calls"),
    RetentionRule("outbound_calls_ok", OutboundCall, _CALL_OK, "RETENTION_OUTBOUND_CALLS_DAYS", "created_at",
                  "successful calls"),
    RetentionRule("outbound_calls_failed", OutboundCall, ~_CALL_OK | Q(status__isnull=True),
                  "RETENTION_FAILURES_DAYS", "created_at", "failed calls"),
    RetentionRule("rejected_calls", RejectedCall, Q(), "RETENTION_UNAUTHENTICATED_DAYS", "received_at",
                  "refused calls"),
):
    retention_register(_rule)
