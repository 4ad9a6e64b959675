"""Fraud rules: one small function per rule, each returning a RuleHit (with evidence a merchant can read)
or None. Every rule can be switched off, re-weighted, made hard or soft, and (for counting rules) given
another threshold per store with a `RuleSetting` row; these are the defaults:

=======================  ======  =====  =========  ===========================================================
rule                     weight  hard   threshold  hits when
=======================  ======  =====  =========  ===========================================================
block_list               100     yes    —          email (normalised), domain, IP, customer id or code is blocked
self_referral            100     yes    —          friend has the advocate's customer id or normalised email
self_referral_signals    60      no     —          friend shares the advocate's address, device, IP+user agent,
                                                   or a loose email alias (Yahoo -keyword)
same_ip_as_advocate      20      no     —          friend's IP is the advocate's (offices, dorms: soft on purpose)
disposable_email         50      no     —          email domain is on the disposable-domain list
duplicate_account        50      no     —          friend matches an earlier referred customer (email, address,
                                                   device, payment)
existing_customer        50      no     1          friend already had this many paid orders before
shared_ip                15      no     3          IP seen on this many other referrals in 7 days
shared_ip_ua             40      no     2          IP+user agent seen on this many other referrals in 7 days
referral_velocity        30      no     5          advocate had this many referrals today (or 3 times that this week)
reward_velocity          30      no     5          recipient got this many rewards today (or 3 times that this week)
reward_allowance         50      no     10         recipient got this many rewards this month (4 times a year, 10 ever)
leaked_code              50      no     3          the code was already used by this many other customers
unreferred_code_use      20      no     —          a referral/friend code used with no referral visit behind it
suspicious_redemption    60      no     —          a reward code used by someone other than its owner (80 when
                                                   the code was revoked/expired)
redemption_ip_velocity   30      no     5          this many redemptions from one IP today
=======================  ======  =====  =========  ===========================================================

Decision (fraud.services): any hard hit rejects; otherwise score ≥ reject_score rejects, score ≥
hold_score holds (FraudSettings, defaults 100 and 50), else approve.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from . import selectors
from .models import Assessment, BlockListEntry, Signal
from .normalise import code_key, email_domain, email_similar_key, ip_ua_hash, is_disposable_domain, mask_email
from .subjects import Person, Subject

K = Signal.Kind
ADDRESS_KINDS = (K.BILLING_ADDRESS, K.SHIPPING_ADDRESS)


@dataclass(frozen=True)
class RuleHit:
    rule: str
    weight: int
    hard: bool
    evidence: str

    def as_dict(self) -> dict:
        return {"rule": self.rule, "weight": self.weight, "hard": self.hard, "evidence": self.evidence}


@dataclass(frozen=True)
class RuleDefault:
    weight: int
    hard: bool = False
    threshold: int | None = None


DEFAULTS: dict[str, RuleDefault] = {
    "block_list": RuleDefault(100, True),
    "self_referral": RuleDefault(100, True),
    "self_referral_signals": RuleDefault(60),
    "same_ip_as_advocate": RuleDefault(20),
    "disposable_email": RuleDefault(50),
    "duplicate_account": RuleDefault(50),
    "existing_customer": RuleDefault(50, threshold=1),
    "shared_ip": RuleDefault(15, threshold=3),
    "shared_ip_ua": RuleDefault(40, threshold=2),
    "referral_velocity": RuleDefault(30, threshold=5),
    "reward_velocity": RuleDefault(30, threshold=5),
    "reward_allowance": RuleDefault(50, threshold=10),
    "leaked_code": RuleDefault(50, threshold=3),
    "unreferred_code_use": RuleDefault(20),
    "suspicious_redemption": RuleDefault(60),
    "redemption_ip_velocity": RuleDefault(30, threshold=5),
}
WINDOW = timedelta(days=7)


@dataclass
class RuleContext:
    """A subject plus the store's rule settings; the rules' shared lookups are cached here."""

    store_id: int
    subject: Subject
    now: datetime
    thresholds: dict[str, int] = field(default_factory=dict)

    def threshold(self, rule: str) -> int:
        return self.thresholds.get(rule) or DEFAULTS[rule].threshold or 1

    @property
    def who(self) -> Person:
        return self.subject.who

    @cached_property
    def lookups(self) -> dict[str, list[dict]]:
        """All signal lookups the rules need, fetched together in one query (selectors.signal_lookups)."""
        who, subject = self.who, self.subject
        advocate = subject.advocate
        identifying = [(K.EMAIL, who.email_normalized), (K.DEVICE, who.device_id), (K.PAYMENT, who.payment_fingerprint),
                       *[(kind, h) for h in (who.billing_address_hash, *who.shipping_address_hashes) if h
                         for kind in ADDRESS_KINDS]]
        return selectors.signal_lookups(
            store_id=self.store_id, advocate_key=advocate.customer_key if advocate else "",
            advocate_kinds=(K.DEVICE, K.IP, K.IP_UA, K.EMAIL, K.CUSTOMER_ID, *ADDRESS_KINDS),
            duplicate_pairs=identifying if subject.subject_type == Assessment.SubjectType.CONVERSION else (),
            recent_pairs=[(K.IP, who.ip), (K.IP_UA, ip_ua_hash(who.ip, who.user_agent)),
                          (K.ADVOCATE, advocate.customer_key if advocate else "")],
            codes=[code_key(c) for c in (*subject.coupon_codes, subject.referral_code) if c],
            customer_key=who.customer_key, subject_id=subject.reference,
            week_since=self.now - WINDOW, day_since=self.now - timedelta(days=1),
        )

    @cached_property
    def reward_history(self) -> dict[str, dict]:
        """The recipient's earlier rewards per window (reward_velocity, reward_allowance): one query."""
        return selectors.reward_history(store_id=self.store_id, customer_key=self.who.customer_key, now=self.now)

    @property
    def advocate_history(self) -> list[dict]:
        """The advocate's own recorded signals (orders, visits…), to compare the friend against."""
        return self.lookups["advocate"]

    @property
    def recent_referrals(self) -> dict:
        """Referrals in the last week/day sharing the friend's IP, IP+UA, or the advocate."""
        return {(row["kind"], row["value"]): {"week": row["count"], "day": row["day"]}
                for row in self.lookups["recent"]}


def _advocate_label(ctx: RuleContext) -> str:
    advocate = ctx.subject.advocate
    if advocate is None:
        return "the advocate"
    return f"advocate {mask_email(advocate.email) or advocate.customer_key or 'unknown'}"


def _where(row: dict) -> str:
    if row.get("subject_kind") in (Signal.SubjectKind.ORDER, Signal.SubjectKind.CONVERSION):
        return f" on order {row['subject_id']}"
    if row.get("subject_kind"):
        return f" ({row['subject_kind']} {row['subject_id']})"
    return ""


def _advocate_match(ctx: RuleContext, kinds: tuple[str, ...], value: str) -> dict | None:
    """The advocate's signal with this value: their current data first, then their history."""
    advocate = ctx.subject.advocate
    if not value or advocate is None:
        return None
    current = {
        K.CUSTOMER_ID: advocate.bc_customer_id, K.EMAIL: advocate.email_normalized, K.DEVICE: advocate.device_id,
        K.IP: advocate.ip, K.IP_UA: ip_ua_hash(advocate.ip, advocate.user_agent),
        K.BILLING_ADDRESS: advocate.billing_address_hash,
    }
    for kind in kinds:
        if current.get(kind) == value or (kind == K.SHIPPING_ADDRESS and value in advocate.shipping_address_hashes):
            return {"kind": kind}
    for row in ctx.advocate_history:
        if row["kind"] in kinds and row["value"] == value:
            return row
    return None


# --- the rules -----------------------------------------------------------------------------------------


def block_list(ctx: RuleContext) -> str | None:
    who, subject = ctx.who, ctx.subject
    pairs = [
        (BlockListEntry.Kind.EMAIL, who.email_normalized), (BlockListEntry.Kind.DOMAIN, email_domain(who.email)),
        (BlockListEntry.Kind.IP, who.ip), (BlockListEntry.Kind.CUSTOMER_ID, who.bc_customer_id),
        (BlockListEntry.Kind.CUSTOMER_ID, who.customer_key),
        (BlockListEntry.Kind.REFERRAL_CODE, code_key(subject.referral_code)),
        *[(BlockListEntry.Kind.REFERRAL_CODE, code_key(code)) for code in subject.coupon_codes],
    ]
    if subject.advocate is not None:
        # Blocking an advocate (or their code) stops their referrals too (reference friendbuy §6).
        pairs += [(BlockListEntry.Kind.EMAIL, subject.advocate.email_normalized),
                  (BlockListEntry.Kind.CUSTOMER_ID, subject.advocate.customer_key)]
    entries = selectors.block_list_matches(store_id=ctx.store_id, pairs=pairs)
    if not entries:
        return None
    return "; ".join(f"{e.get_kind_display().split(' (')[0]} {e.value} is on the block list"
                     + (f" ({e.reason})" if e.reason else "") for e in entries)


def self_referral(ctx: RuleContext) -> str | None:
    who = ctx.who
    if ctx.subject.advocate is None:
        return None
    if who.bc_customer_id and _advocate_match(ctx, (K.CUSTOMER_ID,), who.bc_customer_id):
        return f"same BigCommerce customer id {who.bc_customer_id} as {_advocate_label(ctx)}"
    if ctx.subject.advocate.customer_key and who.customer_key == ctx.subject.advocate.customer_key:
        return f"same customer {who.customer_key} as {_advocate_label(ctx)}"
    match = _advocate_match(ctx, (K.EMAIL,), who.email_normalized)
    if match is not None:
        return (f"email {who.email} is the same mailbox ({who.email_normalized}) as {_advocate_label(ctx)}"
                f"{_where(match)}")
    return None


def self_referral_signals(ctx: RuleContext) -> str | None:
    who = ctx.who
    reasons = []
    for label, kinds, value in (
        ("shipping address", ADDRESS_KINDS, next(iter(who.shipping_address_hashes), "")),
        ("billing address", ADDRESS_KINDS, who.billing_address_hash),
        ("device", (K.DEVICE,), who.device_id),
        ("IP address and browser", (K.IP_UA,), ip_ua_hash(who.ip, who.user_agent)),
    ):
        match = _advocate_match(ctx, kinds, value)
        if match is not None:
            reasons.append(f"same {label} as {_advocate_label(ctx)}{_where(match)}")
    similar = email_similar_key(who.email)
    advocate = ctx.subject.advocate
    if advocate is not None and similar and similar != who.email_normalized and not self_referral(ctx):
        emails = {advocate.email_normalized} | {r["value"] for r in ctx.advocate_history if r["kind"] == K.EMAIL}
        if similar in {email_similar_key(e) for e in emails if e}:
            reasons.append(f"email {who.email} looks like an alias ({similar}) of {_advocate_label(ctx)}")
    return "; ".join(reasons) or None


def same_ip_as_advocate(ctx: RuleContext) -> str | None:
    match = _advocate_match(ctx, (K.IP,), ctx.who.ip)
    if match is None:
        return None
    return f"same IP address {ctx.who.ip} as {_advocate_label(ctx)}{_where(match)} (may be a shared network)"


def disposable_email(ctx: RuleContext) -> str | None:
    domain = email_domain(ctx.who.email)
    return f"email domain {domain} is a disposable-inbox provider" if domain and is_disposable_domain(domain) else None


def duplicate_account(ctx: RuleContext) -> str | None:
    # Earlier referred customers with the friend's email, device, card or address (RuleContext.lookups).
    rows = ctx.lookups["duplicate"]
    if not rows:
        return None
    labels = {K.EMAIL: "email", K.DEVICE: "device", K.PAYMENT: "payment card", K.BILLING_ADDRESS: "address",
              K.SHIPPING_ADDRESS: "address"}
    seen = {f"same {labels[r['kind']]} as earlier referred customer {r['customer_key']}{_where(r)}" for r in rows}
    return "; ".join(sorted(seen)[:3])


def existing_customer(ctx: RuleContext) -> str | None:
    count = ctx.subject.prior_paid_orders
    if count >= ctx.threshold("existing_customer"):
        return f"already a customer: {count} paid order(s) before this one"
    return None


def _shared(ctx: RuleContext, rule: str, kind: str, value: str, label: str) -> str | None:
    count = ctx.recent_referrals.get((kind, value), {}).get("week", 0)
    if value and count >= ctx.threshold(rule):
        return f"{label} seen on {count} other referral(s) in the last 7 days"
    return None


def shared_ip(ctx: RuleContext) -> str | None:
    return _shared(ctx, "shared_ip", K.IP, ctx.who.ip, f"IP address {ctx.who.ip}")


def shared_ip_ua(ctx: RuleContext) -> str | None:
    return _shared(ctx, "shared_ip_ua", K.IP_UA, ip_ua_hash(ctx.who.ip, ctx.who.user_agent),
                   f"IP address {ctx.who.ip} with the same browser")


def referral_velocity(ctx: RuleContext) -> str | None:
    advocate = ctx.subject.advocate
    if advocate is None or not advocate.customer_key:
        return None
    limit = ctx.threshold("referral_velocity")
    counts = ctx.recent_referrals.get((K.ADVOCATE, advocate.customer_key), {})
    for period, allowed, label in (("day", limit, "today"), ("week", limit * 3, "in 7 days")):
        count = counts.get(period, 0) + 1
        if count > allowed:
            return f"{_advocate_label(ctx)} has {count} referrals {label} (limit {allowed})"
    return None


def reward_velocity(ctx: RuleContext) -> str | None:
    key = ctx.who.customer_key
    limit = ctx.threshold("reward_velocity")
    for window, allowed, label in (("day", limit, "today"), ("week", limit * 3, "in 7 days")):
        count = ctx.reward_history[window]["count"] + 1
        if count > allowed:
            return f"{mask_email(ctx.who.email) or key} has {count} rewards {label} (limit {allowed})"
    return None


def reward_allowance(ctx: RuleContext) -> str | None:
    limit = ctx.threshold("reward_allowance")
    for window, allowed, label in (("month", limit, "in 30 days"), ("year", limit * 4, "in a year"),
                                   ("total", limit * 10, "in total")):
        totals = ctx.reward_history[window]
        if totals["count"] + 1 > allowed:
            return (f"reward allowance exceeded: {totals['count'] + 1} rewards {label} "
                    f"(worth {totals['amount'] or 0} before this one; allowance {allowed})")
    return None


def leaked_code(ctx: RuleContext) -> str | None:
    subject = ctx.subject
    # The codes typed at checkout first: they are what gets posted on coupon sites.
    counts = {row["value"]: row["count"] for row in ctx.lookups["code"]}
    for code in dict.fromkeys(code_key(c) for c in (*subject.coupon_codes, subject.referral_code) if c):
        others = counts.get(code, 0)
        if others >= ctx.threshold("leaked_code"):
            more = "at least " if others >= 1000 else ""
            return f"code {code} was already used by {more}{others} other customers (possibly posted publicly)"
    return None


def unreferred_code_use(ctx: RuleContext) -> str | None:
    if ctx.subject.referred_by_link or not (ctx.subject.referral_code or ctx.subject.coupon_codes):
        return None
    codes = ", ".join(dict.fromkeys(code_key(c) for c in (*ctx.subject.coupon_codes, ctx.subject.referral_code) if c))
    return f"code {codes} used without any referral visit from this shopper"


def suspicious_redemption(ctx: RuleContext) -> str | None:
    subject, owner = ctx.subject, ctx.subject.code_owner
    reasons = []
    if subject.code_state in ("disabled", "expired", "revoked"):
        reasons.append(f"code was {subject.code_state} and was tried again")
    if owner is not None and (owner.customer_key or owner.email_normalized):
        same = (owner.customer_key and owner.customer_key == ctx.who.customer_key) or (
            owner.email_normalized and owner.email_normalized == ctx.who.email_normalized)
        if not same:
            reasons.append(f"reward code of {mask_email(owner.email) or owner.customer_key} used by "
                           f"{mask_email(ctx.who.email) or ctx.who.customer_key or 'a guest'}")
    return "; ".join(reasons) or None


def redemption_ip_velocity(ctx: RuleContext) -> str | None:
    count = selectors.distinct_subjects_with(
        store_id=ctx.store_id, kind=K.IP, value=ctx.who.ip, subject_kind=Signal.SubjectKind.REDEMPTION,
        since=ctx.now - timedelta(days=1), exclude_subject_id=ctx.subject.reference,
    ) + 1
    allowed = ctx.threshold("redemption_ip_velocity")
    return f"{count} redemptions from IP {ctx.who.ip} today (limit {allowed})" if ctx.who.ip and count > allowed \
        else None


Rule = Callable[[RuleContext], str | None]
RULES_BY_SUBJECT: dict[str, tuple[Rule, ...]] = {
    Assessment.SubjectType.CONVERSION: (
        block_list, self_referral, self_referral_signals, same_ip_as_advocate, disposable_email,
        duplicate_account, existing_customer, shared_ip, shared_ip_ua, referral_velocity, leaked_code,
        unreferred_code_use,
    ),
    Assessment.SubjectType.REWARD: (block_list, self_referral, disposable_email, reward_velocity, reward_allowance),
    Assessment.SubjectType.REDEMPTION: (block_list, suspicious_redemption, redemption_ip_velocity),
}


def evaluate(ctx: RuleContext, *, overrides: dict | None = None) -> list[RuleHit]:
    """Run the subject's rules with the store's settings; hits in rule order."""
    overrides = overrides or {}
    hits = []
    for rule in RULES_BY_SUBJECT[ctx.subject.subject_type]:
        name = rule.__name__
        default, setting = DEFAULTS[name], overrides.get(name)
        if setting is not None and not setting.enabled:
            continue
        if setting is not None and setting.threshold:
            ctx.thresholds[name] = setting.threshold
        evidence = rule(ctx)
        if evidence:
            weight = setting.weight if setting is not None else default.weight
            hard = setting.hard if setting is not None else default.hard
            if name == "suspicious_redemption" and "tried again" in evidence and setting is None:
                weight = 80
            hits.append(RuleHit(rule=name, weight=weight, hard=hard, evidence=evidence[:500]))
    return hits
