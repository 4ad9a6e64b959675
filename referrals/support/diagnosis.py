"""Why did (or didn't) a referral pay out? Plain-words findings derived from a customer's support file.

Each check is a small function of the file (and the order in question) returning a Finding or None;
`diagnose` runs them all, worst first. The messages are written for the support person reading
them out to a merchant, so they name the order, the code, the rule and the date.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from coupons.models import CouponCode
from referrals.models import OutboxEvent, ReviewHold, Reward
from referrals.orders.selectors import ONCE_PAID_STATUSES, VOIDED_STATUSES
from referrals.support.selectors import CustomerFile, OrderSignals

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2, "ok": 3}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str  # error | warning | info | ok
    message: str
    evidence: dict = field(default_factory=dict)


def _when(value) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "?"


def focus_order(f: CustomerFile, *, bc_order_id: int | None = None) -> OrderSignals | None:
    """The order in question: the one searched for, else the latest paid order, else the latest order."""
    if bc_order_id:
        for signals in f.orders:
            if signals.order.bc_order_id == bc_order_id:
                return signals
    paid = [s for s in f.orders if s.order.first_paid_at]
    return max(paid, key=lambda s: s.order.first_paid_at) if paid else (f.orders[0] if f.orders else None)


def _rewards_for(f: CustomerFile, order_id: int) -> list[Reward]:
    return [r for r in f.rewards if r.bc_order_id == order_id]


# --- the checks -------------------------------------------------------------------------------------------


def check_no_attribution(f: CustomerFile, s: OrderSignals | None) -> Finding | None:
    if s is None or s.referred or _rewards_for(f, s.order.bc_order_id):
        return None
    trusted = [c for c in f.captures if c.referral_code and c.signature_valid]
    hint = (f" A referral visit WAS captured on {_when(trusted[-1].created_at)} (code {trusted[-1].referral_code}) "
            "but on another device, cart or email than the order." if trusted else "")
    return Finding("no_attribution", "error",
                   f"Order {s.order.bc_order_id} carried no referral signal: no attribution id, no referral code and "
                   f"no friend coupon{', no device link from the thank-you page' if not s.order_link else ''}. "
                   "Friendbuy could not know a friend bought. Usual causes: the friend did not click the link, "
                   "bought on another device or browser, or used another coupon." + hint +
                   " You can link the order to the advocate's referral by hand.",
                   {"order": s.order.bc_order_id, "signals": dict(s.checklist)})


def check_existing_customer(f: CustomerFile, s: OrderSignals | None) -> Finding | None:
    if s is None:
        return None
    earlier = [o.order for o in f.orders if o.order.bc_order_id != s.order.bc_order_id
               and (o.order.first_paid_at or o.order.status_id in ONCE_PAID_STATUSES)
               and (o.order.bc_date_created or o.order.created_at) < (s.order.bc_date_created or s.order.created_at)]
    if s.is_new_customer is False or earlier:
        first = min(earlier, key=lambda o: o.bc_date_created or o.created_at) if earlier else None
        since = f" (earlier paid order {first.bc_order_id} on {_when(first.bc_date_created)})" if first else ""
        return Finding("existing_customer", "error",
                       f"The friend was already a customer{since}: order {s.order.bc_order_id} was sent to Friendbuy "
                       "with isNewCustomer false, and referral programs reward new customers only.",
                       {"order": s.order.bc_order_id, "earlier_orders": [o.bc_order_id for o in earlier][:10],
                        "isNewCustomer": s.is_new_customer})
    return None


def store_minimum_spend(f: CustomerFile) -> Decimal:
    """The campaign minimum we know of: the highest minimum on the rewards in this file."""
    minimums = [r.min_order_amount for r in f.rewards if r.min_order_amount]
    return max(minimums) if minimums else Decimal(0)


def check_below_minimum(f: CustomerFile, s: OrderSignals | None, *, minimum: Decimal | None = None
                        ) -> Finding | None:
    if s is None:
        return None
    minimum = minimum if minimum is not None else store_minimum_spend(f)
    said_so = [v for v in f.validations if v.bc_order_id == s.order.bc_order_id and "minimum" in v.reason.lower()]
    amount = s.order.subtotal_ex_tax - s.order.discount_amount
    if (minimum and amount < minimum) or said_so:
        return Finding("below_minimum", "error",
                       f"Order {s.order.bc_order_id} spent {amount:.2f} {s.order.currency_code}, below the "
                       f"{minimum:.2f} minimum the reward requires." if minimum else
                       f"Order {s.order.bc_order_id} was refused as below the minimum spend: {said_so[0].reason}.",
                       {"order": s.order.bc_order_id, "amount": str(amount), "minimum": str(minimum)})
    return None


def check_reversed(f: CustomerFile, s: OrderSignals | None) -> Finding | None:
    if s is None:
        return None
    o = s.order
    what = ("refunded" if o.refunded_at else "cancelled" if o.cancelled_at else "declined" if o.declined_at
            else "voided" if o.status_id in VOIDED_STATUSES else "")
    if not what:
        return None
    at = o.refunded_at or o.cancelled_at or o.declined_at
    return Finding("order_reversed", "error",
                   f"Order {o.bc_order_id} was {what} on {_when(at)} ({o.status_label or o.status_id}); a reversed "
                   "order earns no reward, and an unused code from it is revoked.",
                   {"order": o.bc_order_id, "status": o.status_label, "refunded_amount": str(o.refunded_amount)})


def check_hold_period(f: CustomerFile, s: OrderSignals | None) -> Finding | None:
    if s is None:
        return None
    callbacks = [v for v in f.validations if v.bc_order_id == s.order.bc_order_id]
    pending = [r for r in _rewards_for(f, s.order.bc_order_id) if r.state == Reward.State.PENDING]
    not_yet = callbacks and all(v.answer_status != 200 for v in callbacks) and not any(
        v.answer_status == 400 for v in callbacks)
    if not pending and not not_yet:
        return None
    last = callbacks[-1] if callbacks else None
    answered = f" Our last answer to Friendbuy's validation call was {last.answer_status} on {_when(last.at)}" \
               f"{': ' + last.reason if last.reason else ''}." if last else " Friendbuy has not asked us to validate it yet."
    return Finding("hold_period", "info",
                   f"The reward for order {s.order.bc_order_id} is still pending: it is inside the hold period "
                   "(Friendbuy waits, then asks us to confirm the order was not returned)." + answered,
                   {"order": s.order.bc_order_id, "rewards": [r.friendbuy_reward_id for r in pending],
                    "answers": [v.answer_status for v in callbacks]})


def check_held_for_review(f: CustomerFile, s: OrderSignals | None) -> Finding | None:
    held = [a for a in f.assessments if a.decision == "hold"
            and (s is None or a.bc_order_id in (None, s.order.bc_order_id))]
    holds = [h for h in f.holds if h.state == ReviewHold.State.PENDING]
    if not held and not holds:
        return None
    if held:
        a = held[-1]
        rules = "; ".join(f"{h.get('rule')} ({_evidence(h.get('evidence'))})" for h in a.hits) or "score"
        return Finding("held_for_review", "warning",
                       f"{a.get_subject_type_display()} {a.reference} is held for fraud review (score {a.score}) by: "
                       f"{rules}. Approve or reject it below.",
                       {"assessment": a.pk, "hits": a.hits, "score": a.score})
    h = holds[-1]
    return Finding("held_for_review", "warning",
                   f"Order {h.bc_order_id} is held for review since {_when(h.created_at)}: {h.reason or 'no reason given'}.",
                   {"hold": h.pk})


def check_rejected_by_fraud(f: CustomerFile, s: OrderSignals | None) -> Finding | None:
    """A conversion or reward the fraud rules (or a reviewer) rejected: the commonest "why nothing" for
    self-referrals, and the one support most needs to be able to overturn."""
    rejected = [a for a in f.assessments if a.decision == "reject"
                and (s is None or a.bc_order_id in (None, s.order.bc_order_id))]
    if not rejected:
        return None
    a = rejected[-1]
    rules = "; ".join(f"{h.get('rule')} ({_evidence(h.get('evidence'))})" for h in a.hits) or f"score {a.score}"
    who = "a reviewer" if a.decided_by and a.decided_by != "rules" else "the fraud rules"
    return Finding("rejected_by_fraud", "error",
                   f"{a.get_subject_type_display()} {a.reference} was rejected by {who}: {rules}. No reward is "
                   "owed for it, and Friendbuy's validation callback is answered 400. If this is wrong, approve "
                   "it from the review queue.",
                   {"assessment": a.pk, "hits": a.hits, "score": a.score})


def _evidence(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in list(value.items())[:4])
    return str(value or "")[:120]


def check_codes(f: CustomerFile, s: OrderSignals | None) -> Finding | None:
    now = timezone.now()
    problems = []
    for code in f.codes:
        if code.state == CouponCode.State.ACTIVE:
            expiry = f", expires {_when(code.expires_at)}" if code.expires_at else ""
            late = code.expires_at is not None and code.expires_at < now
            problems.append(("warning" if late else "info",
                             f"code {code.code} ({code.amount} {code.currency}) was issued on {_when(code.minted_at)} "
                             f"and not redeemed yet{expiry}"))
        elif code.state == CouponCode.State.EXPIRED:
            problems.append(("warning", f"code {code.code} expired unused on {_when(code.disabled_at)}"))
        elif code.state == CouponCode.State.DISABLED:
            problems.append(("warning", f"code {code.code} was revoked on {_when(code.disabled_at)}: "
                                        f"{code.disabled_reason or 'no reason recorded'}"))
        elif code.state == CouponCode.State.MINTING:
            problems.append(("warning", f"code {code.code} is not confirmed in BigCommerce yet ({code.last_error or 'minting'})"))
    if not problems:
        return None
    severity = "warning" if any(p[0] == "warning" for p in problems) else "info"
    return Finding("code_not_redeemed", severity, "Reward codes: " + "; ".join(p[1] for p in problems) + ".",
                   {"codes": [c.code for c in f.codes]})


def check_event_failed(f: CustomerFile, s: OrderSignals | None) -> Finding | None:
    failed = [e for e in f.outbox if e.state in (OutboxEvent.State.FAILED, OutboxEvent.State.DEAD)]
    if not failed:
        return None
    e = failed[-1]
    response = e.last_response if e.last_response else e.last_error
    return Finding("event_failed", "error",
                   f"The {e.get_kind_display().lower()} {e.natural_key} could not be sent to Friendbuy "
                   f"({e.get_state_display().lower()} after {e.attempts} attempts, HTTP {e.last_status or 'none'}): "
                   f"{str(response)[:300]}. Friendbuy never saw it; resend it once the cause is fixed.",
                   {"outbox": e.pk, "status": e.last_status, "response": e.last_response, "error": e.last_error})


def check_all_good(f: CustomerFile, s: OrderSignals | None) -> Finding | None:
    done = [r for r in f.rewards if r.state in (Reward.State.ISSUED, Reward.State.REDEEMED)]
    if not done:
        return None
    parts = []
    for reward in done:
        issued = next((t.at for t in reward.transitions.all() if t.to_state == Reward.State.ISSUED), None)
        code = reward.coupon.code if reward.coupon else reward.friendbuy_coupon_code or "-"
        text = (f"{reward.get_recipient_display().lower()} reward {reward.friendbuy_reward_id} "
                f"({reward.amount} {reward.unit}) issued on {_when(issued)} with code {code}")
        if reward.state == Reward.State.REDEEMED:
            used = next((t.at for t in reward.transitions.all() if t.to_state == Reward.State.REDEEMED), None)
            text += f", redeemed on {_when(used)}"
        else:
            text += ", not redeemed yet"
        parts.append(text)
    return Finding("all_good", "ok", "All good: " + "; ".join(parts) + ".",
                   {"rewards": [r.friendbuy_reward_id for r in done]})


CHECKS: list[Callable[[CustomerFile, OrderSignals | None], Finding | None]] = [
    check_event_failed, check_reversed, check_rejected_by_fraud, check_no_attribution, check_existing_customer,
    check_below_minimum, check_held_for_review, check_hold_period, check_codes, check_all_good,
]


def diagnose(f: CustomerFile, *, bc_order_id: int | None = None) -> list[Finding]:
    """Every finding for the file (about the order in question where one applies), worst first."""
    s = focus_order(f, bc_order_id=bc_order_id)
    findings = [finding for check in CHECKS if (finding := check(f, s)) is not None]
    if not findings:
        findings.append(Finding("nothing_found", "info",
                                "Nothing explains a missing reward yet: no paid order, reward or code was found "
                                "for this customer. Check the email the friend used at checkout."))
    return sorted(findings, key=lambda x: SEVERITY_ORDER.get(x.severity, 9))
