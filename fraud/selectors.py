"""Reads for fraud rules, the review queue and reports. Every rule lookup uses an index that starts with
(store, kind, value) or (store, customer_key, kind) — no table scans (see bench/fraud_assessment.py)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from .models import Assessment, BlockListEntry, Decision, FraudSettings, RuleSetting, Signal

SETTINGS_CACHE_SECONDS = 300


def _settings_key(store_id: int) -> str:
    return f"fraud:settings:{store_id}"


def store_rules_config(*, store_id: int) -> dict:
    """Thresholds, rule overrides and which block-list kinds exist, cached per store.

    Read on every assessment, changed rarely: cached (the shared cache) and invalidated whenever one of
    these rows is saved or deleted (fraud.apps connects the invalidation).
    """
    key = _settings_key(store_id)
    config = cache.get(key)
    if config is None:
        config = {
            "settings": FraudSettings.objects.filter(store_id=store_id).first() or FraudSettings(store_id=store_id),
            "rules": {row.rule: row for row in RuleSetting.objects.filter(store_id=store_id).order_by()},
            "block_kinds": set(BlockListEntry.objects.filter(store_id=store_id).order_by()
                               .values_list("kind", flat=True).distinct()),
        }
        cache.set(key, config, SETTINGS_CACHE_SECONDS)
    return config


def store_rules_config_forget(*, store_id: int) -> None:
    cache.delete(_settings_key(store_id))


def fraud_settings(*, store_id: int) -> FraudSettings:
    """The store's thresholds (an unsaved row with the defaults when the store never changed them)."""
    return store_rules_config(store_id=store_id)["settings"]


def rule_overrides(*, store_id: int) -> dict[str, RuleSetting]:
    return store_rules_config(store_id=store_id)["rules"]


def block_list_matches(*, store_id: int, pairs: Iterable[tuple[str, str]]) -> list[BlockListEntry]:
    kinds = store_rules_config(store_id=store_id)["block_kinds"]
    query = Q()
    for kind, value in pairs:
        if value and kind in kinds:
            query |= Q(kind=kind, value=value)
    if not query:
        return []
    return list(BlockListEntry.objects.filter(query, store_id=store_id).order_by()[:10])


def customer_signals(*, store_id: int, customer_key: str, kinds: Iterable[str], limit: int = 500) -> list[dict]:
    """Signals recorded for one shopper (the advocate's history), newest first."""
    if not customer_key:
        return []
    return list(
        Signal.objects.filter(store_id=store_id, customer_key=customer_key, kind__in=list(kinds))
        .order_by("-at").values("kind", "value", "display", "subject_kind", "subject_id")[:limit]
    )


def others_with_values(*, store_id: int, pairs: Iterable[tuple[str, str]], exclude_customer_key: str,
                       subject_kinds: Iterable[str], limit: int = 20) -> list[dict]:
    """Signals of other shoppers that share one of these (kind, value) pairs."""
    query = Q()
    for kind, value in pairs:
        if value:
            query |= Q(kind=kind, value=value)
    if not query:
        return []
    rows = Signal.objects.filter(query, store_id=store_id, subject_kind__in=list(subject_kinds))
    if exclude_customer_key:
        rows = rows.exclude(customer_key=exclude_customer_key)
    return list(rows.order_by("at").values("kind", "value", "display", "customer_key", "subject_kind",
                                           "subject_id")[:limit])


def distinct_subjects_with(*, store_id: int, kind: str, value: str, subject_kind: str,
                           since: datetime | None = None, exclude_subject_id: str = "") -> int:
    if not value:
        return 0
    rows = Signal.objects.filter(store_id=store_id, kind=kind, value=value, subject_kind=subject_kind)
    if since is not None:
        rows = rows.filter(at__gte=since)
    if exclude_subject_id:
        rows = rows.exclude(subject_id=exclude_subject_id)
    return rows.values("subject_id").distinct().count()


def distinct_customers_with(*, store_id: int, kind: str, value: str, subject_kinds: Iterable[str],
                            exclude_customer_key: str = "") -> list[str]:
    if not value:
        return []
    rows = Signal.objects.filter(store_id=store_id, kind=kind, value=value, subject_kind__in=list(subject_kinds))
    if exclude_customer_key:
        rows = rows.exclude(customer_key=exclude_customer_key)
    # order_by(): the model's default ordering would otherwise join the DISTINCT.
    return list(rows.exclude(customer_key="").order_by().values_list("customer_key", flat=True).distinct()[:50])


def recent_subject_counts(*, store_id: int, pairs: list[tuple[str, str]], subject_kind: str, week_since: datetime,
                          day_since: datetime, exclude_subject_id: str = "") -> dict[tuple[str, str], dict]:
    """For each (kind, value): distinct subjects with it in the last week and the last day — one query."""
    pairs = [(kind, value) for kind, value in pairs if value]
    if not pairs:
        return {}
    query = Q()
    aggregates = {}
    for index, (kind, value) in enumerate(pairs):
        query |= Q(kind=kind, value=value)
        aggregates[f"w{index}"] = Count("subject_id", distinct=True, filter=Q(kind=kind, value=value))
        aggregates[f"d{index}"] = Count("subject_id", distinct=True,
                                        filter=Q(kind=kind, value=value, at__gte=day_since))
    rows = Signal.objects.filter(query, store_id=store_id, subject_kind=subject_kind, at__gte=week_since)
    if exclude_subject_id:
        rows = rows.exclude(subject_id=exclude_subject_id)
    totals = rows.order_by().aggregate(**aggregates)
    return {pair: {"week": totals[f"w{i}"] or 0, "day": totals[f"d{i}"] or 0} for i, pair in enumerate(pairs)}


LOOKUP_SQL = {
    # The advocate's own history (what the friend is compared with).
    "advocate": """(SELECT 'advocate', kind, value, subject_kind, subject_id, customer_key, 0, 0 FROM fraud_signal
        WHERE store_id = %s AND customer_key = %s AND kind = ANY(%s) ORDER BY at DESC LIMIT 500)""",
    # Earlier referred customers sharing one of the friend's identifying values.
    "duplicate": """(SELECT 'duplicate', kind, value, subject_kind, subject_id, customer_key, 0, 0 FROM fraud_signal
        WHERE store_id = %s AND subject_kind = 'conversion' AND ({pairs}) AND customer_key <> %s
        AND subject_id <> %s ORDER BY at LIMIT 20)""",
    # Referrals in the window sharing the friend's IP / IP+UA, or the same advocate.
    "recent": """(SELECT 'recent', kind, value, '', '', '', COUNT(DISTINCT subject_id),
        COUNT(DISTINCT subject_id) FILTER (WHERE at >= %s) FROM fraud_signal
        WHERE store_id = %s AND subject_kind = 'conversion' AND at >= %s AND subject_id <> %s AND ({pairs})
        GROUP BY kind, value)""",
    # Distinct other customers who used the same code (capped: a leaked code can have many).
    "code": """(SELECT 'code', 'coupon_code', value, '', '', '', COUNT(DISTINCT customer_key), 0 FROM (
        SELECT value, customer_key FROM fraud_signal WHERE store_id = %s AND kind = 'coupon_code'
        AND value = ANY(%s) AND subject_kind IN ('conversion', 'redemption') AND customer_key <> ''
        AND customer_key <> %s LIMIT 1000) AS used GROUP BY value)""",
}


def _pairs_sql(pairs: list[tuple[str, str]]) -> tuple[str, list]:
    return " OR ".join(["(kind = %s AND value = %s)"] * len(pairs)), [v for pair in pairs for v in pair]


def signal_lookups(*, store_id: int, advocate_key: str = "", advocate_kinds: Iterable[str] = (),
                   duplicate_pairs: Iterable[tuple[str, str]] = (), recent_pairs: Iterable[tuple[str, str]] = (),
                   codes: Iterable[str] = (), customer_key: str = "", subject_id: str = "",
                   week_since: datetime | None = None, day_since: datetime | None = None) -> dict[str, list[dict]]:
    """Every signal lookup an assessment needs, in ONE round trip (UNION ALL of index-backed parts).

    Each part filters on (store, kind, value[, at]) or (store, customer_key, kind); see the bench for plans.
    """
    parts, params = [], []
    if advocate_key:
        parts.append(LOOKUP_SQL["advocate"])
        params += [store_id, advocate_key, list(advocate_kinds)]
    duplicate_pairs = [(k, v) for k, v in duplicate_pairs if v]
    if duplicate_pairs:
        sql, values = _pairs_sql(duplicate_pairs)
        parts.append(LOOKUP_SQL["duplicate"].format(pairs=sql))
        params += [store_id, *values, customer_key, subject_id]
    recent_pairs = [(k, v) for k, v in recent_pairs if v]
    if recent_pairs and week_since is not None:
        sql, values = _pairs_sql(recent_pairs)
        parts.append(LOOKUP_SQL["recent"].format(pairs=sql))
        params += [day_since or week_since, store_id, week_since, subject_id, *values]
    codes = [c for c in codes if c]
    if codes:
        parts.append(LOOKUP_SQL["code"])
        params += [store_id, codes, customer_key]
    found: dict[str, list[dict]] = {"advocate": [], "duplicate": [], "recent": [], "code": []}
    if not parts:
        return found
    if connection.vendor != "postgresql":
        return _signal_lookups_portable(
            store_id=store_id, advocate_key=advocate_key, advocate_kinds=advocate_kinds,
            duplicate_pairs=duplicate_pairs, recent_pairs=recent_pairs if week_since else [], codes=codes,
            customer_key=customer_key, subject_id=subject_id, week_since=week_since, day_since=day_since,
        )
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for part, kind, value, subject_kind, subject, key, first, second in cursor.fetchall():
            found[part].append({"kind": kind, "value": value, "subject_kind": subject_kind, "subject_id": subject,
                                "customer_key": key, "count": first, "day": second})
    return found


def _signal_lookups_portable(*, store_id, advocate_key, advocate_kinds, duplicate_pairs, recent_pairs, codes,
                             customer_key, subject_id, week_since, day_since) -> dict[str, list[dict]]:
    """The same answers as signal_lookups through the ORM, a few queries instead of one (SQLite dev/tests)."""
    recent = recent_subject_counts(store_id=store_id, pairs=recent_pairs, subject_kind="conversion",
                                   week_since=week_since, day_since=day_since or week_since,
                                   exclude_subject_id=subject_id) if recent_pairs else {}
    return {
        "advocate": customer_signals(store_id=store_id, customer_key=advocate_key, kinds=advocate_kinds),
        "duplicate": [row for row in others_with_values(store_id=store_id, pairs=duplicate_pairs,
                                                        exclude_customer_key=customer_key,
                                                        subject_kinds=("conversion",))
                      if row["subject_id"] != subject_id and row["customer_key"]],
        "recent": [{"kind": kind, "value": value, "count": counts["week"], "day": counts["day"]}
                   for (kind, value), counts in recent.items()],
        "code": [{"kind": "coupon_code", "value": code,
                  "count": len(distinct_customers_with(store_id=store_id, kind="coupon_code", value=code,
                                                       subject_kinds=("conversion", "redemption"),
                                                       exclude_customer_key=customer_key))}
                 for code in codes],
    }


def reward_history(*, store_id: int, customer_key: str, now: datetime) -> dict[str, dict]:
    """A recipient's rewards that were not rejected, counted (and summed) over the windows the velocity
    and allowance rules look at, in one query: {"day"|"week"|"month"|"year"|"total": {count, amount}}."""
    windows = {"day": 1, "week": 7, "month": 30, "year": 365}
    if not customer_key:
        return {name: {"count": 0, "amount": 0} for name in (*windows, "total")}
    aggregates = {"total_count": Count("id"), "total_amount": Sum("amount")}
    for name, days in windows.items():
        recent = Q(created_at__gte=now - timedelta(days=days))
        aggregates[f"{name}_count"] = Count("id", filter=recent)
        aggregates[f"{name}_amount"] = Sum("amount", filter=recent)
    totals = (Assessment.objects.filter(store_id=store_id, subject_type=Assessment.SubjectType.REWARD,
                                        customer_key=customer_key)
              .exclude(decision=Decision.REJECT).aggregate(**aggregates))
    return {name: {"count": totals[f"{name}_count"] or 0, "amount": totals[f"{name}_amount"] or 0}
            for name in (*windows, "total")}


def review_queue(*, store_id: int | None = None) -> QuerySet[Assessment]:
    """Held items, oldest first (the order reviewers should work in)."""
    rows = Assessment.objects.filter(decision=Decision.HOLD).select_related("store").order_by("created_at", "id")
    return rows.filter(store_id=store_id) if store_id else rows


def recent_rule_rejections(*, store_id: int | None = None, days: int = 14) -> QuerySet[Assessment]:
    """Items the rules rejected lately, newest first: shown under the queue so a wrong rejection can be overturned."""
    rows = Assessment.objects.filter(decision=Decision.REJECT, decided_by="rules",
                                     created_at__gte=timezone.now() - timedelta(days=days))
    rows = rows.select_related("store").order_by("-created_at", "-id")
    return rows.filter(store_id=store_id) if store_id else rows


def order_assessments(*, store_id: int, bc_order_id: int) -> list[Assessment]:
    """Every assessment that bears on one order (its conversion and the rewards it earned)."""
    return list(Assessment.objects.filter(store_id=store_id, bc_order_id=bc_order_id))
