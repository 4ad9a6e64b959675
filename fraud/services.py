"""Fraud writes: record signals, assess a subject (score + decision + reasons), decide held items (staff or
automatic, always with an audit row), block lists (including CSV import) and the daily summary."""
from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from . import rules, selectors
from .models import Assessment, BlockListEntry, Decision, FraudDailySummary, ReviewDecision, Signal
from .normalise import code_key, digest, email_domain, email_key, ip_ua_hash, is_disposable_domain, mask_email
from .signals import assessment_decided
from .subjects import Person, Subject

K = Signal.Kind


def _signal_rows(person: Person, *, codes: tuple[str, ...] = (), advocate_key: str = "") -> list[tuple[str, str, str]]:
    """(kind, value, display) for everything known about a shopper; empty values left out."""
    domain = email_domain(person.email)
    rows = [
        (K.IP, person.ip, person.ip), (K.IP_UA, ip_ua_hash(person.ip, person.user_agent), person.ip),
        (K.DEVICE, person.device_id, person.device_id[:12]),
        (K.BILLING_ADDRESS, person.billing_address_hash, person.address_display[:80]),
        (K.EMAIL, person.email_normalized, mask_email(person.email)),
        (K.EMAIL_DOMAIN, domain, domain), (K.CUSTOMER_ID, person.bc_customer_id, person.bc_customer_id),
        (K.PAYMENT, person.payment_fingerprint, "card"), (K.ADVOCATE, advocate_key, advocate_key),
        *[(K.SHIPPING_ADDRESS, h, person.address_display[:80]) for h in person.shipping_address_hashes],
        *[(K.COUPON_CODE, code_key(c), code_key(c)) for c in codes],
    ]
    return [(kind, value[:128], display or "") for kind, value, display in rows if value]


def signals_record(*, store_id: int, subject_kind: str, subject_id: str, person: Person,
                   codes: tuple[str, ...] = (), advocate_key: str = "", at: datetime | None = None,
                   known_new: bool = False) -> int:
    """Record a subject's signals once (a second call for the same subject adds nothing).

    `known_new`: the caller just created the subject under a unique constraint, so skip the check.
    """
    subject_id = str(subject_id)[:80]
    if not known_new and Signal.objects.filter(store_id=store_id, subject_kind=subject_kind,
                                               subject_id=subject_id).exists():
        return 0
    at = at or timezone.now()
    rows = [
        Signal(store_id=store_id, subject_kind=subject_kind, subject_id=subject_id,
               customer_key=person.customer_key[:64], kind=kind, value=value, display=display[:255], at=at)
        for kind, value, display in dict.fromkeys(_signal_rows(person, codes=codes, advocate_key=advocate_key))
    ]
    Signal.objects.bulk_create(rows)
    return len(rows)


def decision_for(*, hits: list[rules.RuleHit], hold_score: int, reject_score: int) -> tuple[str, int]:
    score = sum(hit.weight for hit in hits)
    if any(hit.hard for hit in hits) or score >= reject_score:
        return Decision.REJECT, score
    if score >= hold_score:
        return Decision.HOLD, score
    return Decision.APPROVE, score


def _seen(subject: Subject) -> dict:
    who = subject.who
    domain = email_domain(who.email)
    return {
        "ip": who.ip, "user_agent": who.user_agent[:200], "device_id": who.device_id,
        "email_normalized": who.email_normalized, "email_domain": domain,
        "disposable_email": bool(domain and is_disposable_domain(domain)),
        "billing_address": who.address_display, "payment_fingerprint": bool(who.payment_fingerprint),
        "referral_code": subject.referral_code, "coupon_codes": list(subject.coupon_codes),
        "prior_paid_orders": subject.prior_paid_orders, "referred_by_link": subject.referred_by_link,
        **({"code_state": subject.code_state} if subject.code_state else {}),
    }


def assessment_run(*, store_id: int, subject: Subject, now: datetime | None = None) -> Assessment:
    """Assess a subject once (unique per store, type and reference) and record its signals.

    Running it again for the same subject returns the first assessment unchanged: decisions are
    history, and a replayed webhook must not re-open what a reviewer closed.
    """
    # No look-before-insert: the unique constraint answers "already assessed" (see the except below),
    # which keeps a first assessment to one read and one write transaction.
    now = now or timezone.now()
    settings_row = selectors.fraud_settings(store_id=store_id)
    ctx = rules.RuleContext(store_id=store_id, subject=subject, now=now)
    hits = rules.evaluate(ctx, overrides=selectors.rule_overrides(store_id=store_id))
    decision, score = decision_for(hits=hits, hold_score=settings_row.hold_score,
                                   reject_score=settings_row.reject_score)
    auto_at = None
    if decision == Decision.HOLD and settings_row.auto_decision_after_days is not None:
        auto_at = now + timedelta(days=settings_row.auto_decision_after_days)
    parties = {"friend": subject.who.as_dict()}
    if subject.advocate is not None:
        parties["advocate"] = subject.advocate.as_dict()
    if subject.code_owner is not None:
        parties["code_owner"] = subject.code_owner.as_dict()
    try:
        with transaction.atomic():
            assessment = Assessment.objects.create(
                store_id=store_id, subject_type=subject.subject_type, reference=subject.reference[:120],
                bc_order_id=subject.bc_order_id, customer_key=subject.who.customer_key[:64],
                advocate_key=(subject.advocate.customer_key if subject.advocate else "")[:64],
                amount=subject.amount, signals=_seen(subject), parties=parties,
                hits=[hit.as_dict() for hit in hits], score=score, decision=decision, decided_by="rules",
                decided_at=now, auto_decide_at=auto_at,
            )
            signals_record(
                store_id=store_id, subject_kind=subject.subject_type, subject_id=subject.reference,
                person=subject.who, codes=tuple(c for c in (subject.referral_code, *subject.coupon_codes) if c),
                advocate_key=subject.advocate.customer_key if subject.advocate else "", at=now, known_new=True,
            )
    except IntegrityError:
        # A concurrent run for the same subject won: its answer is the answer.
        return Assessment.objects.get(store_id=store_id, subject_type=subject.subject_type,
                                      reference=subject.reference[:120])
    return assessment


PAST = {Decision.APPROVE: "approved", Decision.HOLD: "held", Decision.REJECT: "rejected"}


class DecisionError(Exception):
    """The decision cannot be made (no note, unknown decision, or nothing to decide)."""


def assessment_decide(*, assessment: Assessment, decision: str, note: str, user=None,
                      decided_by: str = "") -> Assessment:
    """Approve or reject an assessment (normally a held one) with a note; audited; listeners hear of it."""
    note = (note or "").strip()
    if decision not in (Decision.APPROVE, Decision.REJECT):
        raise DecisionError("Choose approve or reject.")
    if not note:
        raise DecisionError("A note saying why is required.")
    who = decided_by or (user.get_username() if user is not None else "system")
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if locked.decision == decision:
            raise DecisionError(f"Already {PAST[decision]}.")
        previous = locked.decision
        locked.decision, locked.decided_by, locked.decided_at = decision, who[:150], timezone.now()
        locked.note, locked.auto_decide_at = note, None
        locked.save(update_fields=["decision", "decided_by", "decided_at", "note", "auto_decide_at"])
        ReviewDecision.objects.create(assessment=locked, from_decision=previous, to_decision=decision,
                                      decided_by=who[:150], user=user, note=note)
    assessment_decided.send(sender=Assessment, assessment=locked)
    return locked


def assessments_auto_decide(*, now: datetime | None = None) -> int:
    """Decide held items whose store's waiting period is over, as the store's settings say."""
    now = now or timezone.now()
    done = 0
    due = Assessment.objects.filter(decision=Decision.HOLD, auto_decide_at__isnull=False, auto_decide_at__lte=now)
    for assessment in due.order_by("auto_decide_at")[:500]:
        settings_row = selectors.fraud_settings(store_id=assessment.store_id)
        days = settings_row.auto_decision_after_days
        try:
            assessment_decide(assessment=assessment, decision=settings_row.auto_decision, decided_by="auto",
                              note=f"Automatic {settings_row.auto_decision}: held longer than {days} day(s)")
            done += 1
        except DecisionError:
            continue
    return done


# --- block lists ----------------------------------------------------------------------------------------


def block_value(*, kind: str, value: str) -> str:
    """The normalised form a block-list value is stored and matched in."""
    value = (value or "").strip()
    if kind == BlockListEntry.Kind.EMAIL:
        return email_key(value)
    if kind == BlockListEntry.Kind.DOMAIN:
        return value.lower().lstrip("@").rstrip(".")
    if kind == BlockListEntry.Kind.REFERRAL_CODE:
        return code_key(value)
    return value


def block_list_add(*, store_id: int, kind: str, value: str, reason: str = "", created_by: str = ""
                   ) -> tuple[BlockListEntry, bool]:
    if kind not in BlockListEntry.Kind.values:
        raise ValueError(f"unknown kind {kind!r} (use one of {', '.join(BlockListEntry.Kind.values)})")
    normalised = block_value(kind=kind, value=value)
    if not normalised:
        raise ValueError("empty value")
    if kind == BlockListEntry.Kind.EMAIL and "@" not in normalised:
        raise ValueError(f"{value!r} is not an email address")
    return BlockListEntry.objects.get_or_create(
        store_id=store_id, kind=kind, value=normalised[:254],
        defaults={"reason": reason[:255], "created_by": created_by[:150]},
    )


@dataclass
class ImportReport:
    added: int = 0
    existing: int = 0
    errors: list[str] = field(default_factory=list)


def block_list_import_csv(*, store_id: int, text: str, created_by: str = "") -> ImportReport:
    """Import `kind,value,reason` rows (a header row is optional); bad rows are reported, good ones kept."""
    report = ImportReport()
    for line_no, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not any(cell.strip() for cell in row):
            continue
        if line_no == 1 and row[0].strip().lower() == "kind":
            continue
        if len(row) < 2:
            report.errors.append(f"line {line_no}: expected kind,value[,reason]")
            continue
        kind, value, reason = row[0].strip().lower(), row[1], (row[2] if len(row) > 2 else "")
        try:
            _, created = block_list_add(store_id=store_id, kind=kind, value=value, reason=reason.strip(),
                                        created_by=created_by)
        except ValueError as exc:
            report.errors.append(f"line {line_no}: {exc}")
            continue
        if created:
            report.added += 1
        else:
            report.existing += 1
    return report


# --- daily summary --------------------------------------------------------------------------------------


def daily_summary_build(*, store_id: int, day: date) -> FraudDailySummary:
    """Top IPs and devices of the day's referrals and redemptions, codes used by many, decision counts."""
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    end = start + timedelta(days=1)
    signals = Signal.objects.filter(store_id=store_id, at__gte=start, at__lt=end,
                                    subject_kind__in=(Signal.SubjectKind.CONVERSION, Signal.SubjectKind.REDEMPTION))

    def top(kind: str) -> list[dict]:
        rows = (signals.filter(kind=kind).values("value").annotate(n=Count("subject_id", distinct=True))
                .filter(n__gt=1).order_by("-n", "value")[:10])
        return [{"value": r["value"], "count": r["n"]} for r in rows]

    leaked_rows = (Signal.objects.filter(store_id=store_id, kind=K.COUPON_CODE,
                                         subject_kind__in=(Signal.SubjectKind.CONVERSION,
                                                           Signal.SubjectKind.REDEMPTION),
                                         at__lt=end)
                   .exclude(customer_key="").values("value").annotate(n=Count("customer_key", distinct=True))
                   .filter(n__gte=rules.DEFAULTS["leaked_code"].threshold + 1).order_by("-n")[:20])
    decisions = Counter(Assessment.objects.filter(store_id=store_id, created_at__gte=start, created_at__lt=end)
                        .values_list("decision", flat=True))
    summary, _ = FraudDailySummary.objects.update_or_create(
        store_id=store_id, date=day,
        defaults={"top_ips": top(K.IP), "top_devices": top(K.DEVICE),
                  "leaked_codes": [{"code": r["value"], "customers": r["n"]} for r in leaked_rows],
                  "assessed_count": sum(decisions.values()), "held_count": decisions.get(Decision.HOLD, 0),
                  "rejected_count": decisions.get(Decision.REJECT, 0)},
    )
    return summary


def daily_summaries_build(*, day: date | None = None) -> int:
    """Yesterday's summary (by default) for every store that had fraud activity that day."""
    day = day or (timezone.localdate() - timedelta(days=1))
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    store_ids = set(Assessment.objects.filter(created_at__gte=start, created_at__lt=start + timedelta(days=1))
                    .values_list("store_id", flat=True).distinct())
    for store_id in store_ids:
        daily_summary_build(store_id=store_id, day=day)
    return len(store_ids)


# --- privacy ----------------------------------------------------------------------------------------------

# Signal kinds whose value is the personal datum itself; erasure replaces it with a hash of it.
_RAW_PERSONAL_KINDS = (K.IP, K.DEVICE, K.EMAIL)
# Keys of Assessment.signals and of each Assessment.parties entry that hold a personal datum.
_SEEN_PERSONAL = ("ip", "user_agent", "device_id", "email_normalized", "billing_address")
_PARTY_PERSONAL = ("email", "email_normalized", "ip", "user_agent", "device_id", "address")


def _erased_value(kind: str, value: str) -> str:
    # Hashed like the other hashed kinds, so the value no longer reads as the person yet the rows of one
    # erased person still group together (counts, summaries) and the hashed kinds keep matching.
    return value if value.startswith("erased:") else f"erased:{digest(f'{kind}:{value}')}"[:128]


def fraud_subject_anonymise(*, store_id: int, customer_keys: set[str], order_ids: set[int]) -> dict:
    """Anonymise one shopper's fraud data (privacy erasure): the signals and assessments that are theirs
    (by Friendbuy customerId, or bearing on their orders) lose every raw personal value; hashed values
    (addresses, IP + user agent, payment) stay, so the rules still match them; scores, decisions and
    reasons' structure stay for the merchant's history. Free text (evidence, notes) is the caller's to
    scrub with the values it knows. Returns counts."""
    keys = {key for key in customer_keys if key}
    order_refs = {str(order_id) for order_id in order_ids}
    mine = Q(customer_key__in=keys) | Q(subject_kind__in=(Signal.SubjectKind.ORDER, Signal.SubjectKind.CONVERSION),
                                        subject_id__in=order_refs)
    signals = Signal.objects.filter(store_id=store_id).filter(mine)
    raw_values: set[str] = set()
    changed_signals = 0
    for signal in signals.only("id", "kind", "value", "display"):
        value, display = signal.value, ""
        if signal.kind in _RAW_PERSONAL_KINDS:
            raw_values.add(signal.value)
            value = _erased_value(signal.kind, signal.value)
        elif signal.kind in (K.EMAIL_DOMAIN, K.CUSTOMER_ID, K.ADVOCATE, K.COUPON_CODE, K.REFERRAL_CODE):
            display = signal.display
        if (value, display) != (signal.value, signal.display):
            Signal.objects.filter(pk=signal.pk).update(value=value, display=display)
            changed_signals += 1
    assessments = Assessment.objects.filter(store_id=store_id).filter(
        Q(customer_key__in=keys) | Q(advocate_key__in=keys) | Q(bc_order_id__in=order_ids)
    )
    changed_assessments = 0
    for assessment in assessments.only("id", "customer_key", "signals", "parties"):
        seen = dict(assessment.signals or {})
        if assessment.customer_key in keys or assessment.bc_order_id in order_ids:
            seen = {k: ("" if k in _SEEN_PERSONAL and v else v) for k, v in seen.items()}
        parties = {}
        for role, party in (assessment.parties or {}).items():
            if isinstance(party, dict) and (party.get("customer_key") in keys or (
                    role == "friend" and (assessment.customer_key in keys or assessment.bc_order_id in order_ids))):
                party = {k: ("" if k in _PARTY_PERSONAL and v else v) for k, v in party.items()}
            parties[role] = party
        if (seen, parties) != (assessment.signals, assessment.parties):
            Assessment.objects.filter(pk=assessment.pk).update(signals=seen, parties=parties)
            changed_assessments += 1
    changed_summaries = 0
    if raw_values:
        for summary in FraudDailySummary.objects.filter(store_id=store_id):
            top_ips, top_devices = (
                [{**row, "value": _erased_value(kind, row["value"])} if row.get("value") in raw_values else row
                 for row in rows or []]
                for kind, rows in ((K.IP, summary.top_ips), (K.DEVICE, summary.top_devices))
            )
            if (top_ips, top_devices) != (summary.top_ips, summary.top_devices):
                FraudDailySummary.objects.filter(pk=summary.pk).update(top_ips=top_ips, top_devices=top_devices)
                changed_summaries += 1
    return {"signals": changed_signals, "assessments": changed_assessments, "summaries": changed_summaries}
