"""Where's my reward? The diagnosis of a customer's support file, as one decision table.

A person plays one or both roles in a referral: the friend (their order should have carried the
advocate's link or code and rewarded the advocate) and the advocate (a friend's purchase should have
given them a reward and a code). `journeys` turns the file into one Journey per referral the person
is in; `diagnose` walks each journey down STEPS in order and reports the first row whose condition
holds — the first step of the journey that did not happen — in plain words, with the next step and
the support action (referrals.support.actions, by its admin name) that takes it. A row marked
`blocks=False` is a note: it is reported and the walk goes on. A journey no row stops ends at the
healthy row, which says so.

Each row is: a condition (a function of the journey returning the values its sentence needs, or
None when the row does not apply), the sentence and the next step (format strings over those
values), and the action name. The values are concrete: dates, amounts in the order's currency,
codes, order ids, rule names in words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from coupons.models import CouponCode, CouponTemplate
from fraud.models import Assessment
from referrals.models import (
    AttributionCapture,
    FriendbuyConnection,
    FriendCode,
    OrderSnapshot,
    OutboxEvent,
    ReviewHold,
    Reward,
    ValidationCallback,
)
from referrals.orders.selectors import ONCE_PAID_STATUSES, VOIDED_STATUSES
from referrals.support.selectors import CustomerFile, OrderSignals, order_used_code
from referrals.support.words import money

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2, "ok": 3}

# The fraud rules (fraud.rules.DEFAULTS) in the words a support person reads out.
RULE_WORDS = {
    "block_list": "the customer is on the store's block list",
    "self_referral": "self-referral: the friend is the advocate (same customer, email or mailbox)",
    "self_referral_signals": "the friend shares a device, card or address with the advocate",
    "same_ip_as_advocate": "the friend ordered from the advocate's IP address",
    "disposable_email": "the friend used a disposable email address",
    "duplicate_account": "the friend looks like a second account of an earlier referred customer",
    "existing_customer": "the friend had ordered before (not a new customer)",
    "shared_ip": "the same IP address placed several referred orders",
    "shared_ip_ua": "the same IP address and browser placed several referred orders",
    "referral_velocity": "the advocate referred too many friends too fast",
    "reward_velocity": "the customer received too many rewards too fast",
    "reward_allowance": "the advocate passed the campaign's reward allowance",
    "leaked_code": "the referral code was used by many unrelated people (leaked on a coupon site)",
    "unreferred_code_use": "a referral code was used without a referral visit",
    "suspicious_redemption": "the reward code was redeemed in a suspicious way",
    "redemption_ip_velocity": "many reward codes were redeemed from one IP address",
}
WHO_CAN_APPROVE = ("the store owner or a store user with the act support role (Support in the app), or a "
                   "Support staff user")
FRIENDBUY_CHECK = ("In Friendbuy's Retailer App, open Customers, search the friend's email, and check that the "
                   "purchase shows the advocate as referrer and what the campaign's reward approval delay is")


@dataclass(frozen=True)
class Finding:
    """One row's verdict on one journey: the sentence, what to do next, and the action that does it."""

    code: str
    severity: str  # error | warning | info | ok
    message: str
    next_step: str = ""
    action: str = ""  # a support action name (referrals.support.admin.ACTIONS), or ""
    target: int | None = None  # the pk the action acts on
    link: str = ""  # a page that takes the step when no support action does (the fraud review)
    role: str = ""  # friend | advocate
    referral: str = ""  # which referral, in words
    evidence: dict = field(default_factory=dict)

    @property
    def sentence(self) -> str:
        return self.message


@dataclass
class Journey:
    """One referral the person is in, seen from one role: the friend's order and what followed it."""

    file: CustomerFile
    role: str
    signals: OrderSignals | None = None
    reward: Reward | None = None  # the referral's reward (the advocate's, else the friend's)
    friend_code: FriendCode | None = None
    now: datetime = field(default_factory=timezone.now)

    @property
    def order(self) -> OrderSnapshot | None:
        if self.signals is not None:
            return self.signals.order
        return self.reward.order if self.reward is not None else None

    @property
    def order_id(self) -> int | None:
        if self.order is not None:
            return self.order.bc_order_id
        return self.reward.bc_order_id if self.reward is not None else None

    @property
    def label(self) -> str:
        if self.role == "advocate":
            friend = (self.reward.friend_email if self.reward else "") or (
                self.friend_code.friend_email if self.friend_code else "") or (
                self.signals.order.email if self.signals else "") or "a friend"
            return f"as advocate, for {friend}" + (f" (order {self.order_id})" if self.order_id else "")
        advocate = _advocate_of(self)
        return f"as friend{', referred by ' + advocate if advocate else ''}" + (
            f" (order {self.order_id})" if self.order_id else "")


# --- words ------------------------------------------------------------------------------------------------


def _when(value) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "an unknown date"


def rule_words(rule: str) -> str:
    return RULE_WORDS.get(rule, (rule or "an unnamed rule").replace("_", " "))


def _rules(assessment: Assessment) -> str:
    return "; ".join(f"{rule_words(h.get('rule', ''))}{_evidence(h.get('evidence'))}" for h in assessment.hits
                     ) or f"a risk score of {assessment.score}"


def _evidence(value) -> str:
    if isinstance(value, dict) and value:
        return " (" + ", ".join(f"{k} {v}" for k, v in list(value.items())[:4]) + ")"
    return f" ({str(value)[:120]})" if value else ""


def _subject(assessment: Assessment) -> str:
    kind = {Assessment.SubjectType.CONVERSION: "referred order", Assessment.SubjectType.REWARD: "reward",
            Assessment.SubjectType.REDEMPTION: "use of the code on order"}.get(assessment.subject_type, "item")
    return f"{kind} {assessment.reference}"


def _order_amount(order: OrderSnapshot) -> str:
    return money(order.subtotal_ex_tax - order.discount_amount, order.currency_code)


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# --- what a journey holds -----------------------------------------------------------------------------------


def _captures(j: Journey) -> list[AttributionCapture]:
    return [c for c in j.file.captures if c.referral_code or c.friend_coupon]


def _advocate_of(j: Journey) -> str:
    if j.reward is not None and j.reward.recipient == Reward.Recipient.ADVOCATE:
        return j.reward.email or j.reward.customer_id
    s = j.signals
    if s is not None and s.manual is not None:
        return s.manual.advocate_customer_id or s.manual.referral_code
    if s is not None and s.referral_code:
        return f"referral code {s.referral_code}"
    if s is not None and s.friend_coupon:
        return f"friend code {s.friend_coupon}"
    return ""


def _purchase(j: Journey) -> OutboxEvent | None:
    if j.signals is not None and j.signals.manual is not None and j.signals.manual.outbox_event_id:
        manual = next((e for e in j.file.outbox if e.pk == j.signals.manual.outbox_event_id), None)
        if manual is not None:
            return manual
    if j.signals is not None and j.signals.purchase_event is not None:
        return j.signals.purchase_event
    order = j.order
    return next((e for e in reversed(j.file.outbox) if order is not None and e.order_id == order.pk
                 and e.kind == OutboxEvent.Kind.PURCHASE), None)


def _order_rewards(j: Journey) -> list[Reward]:
    return [r for r in j.file.rewards if j.order_id and r.bc_order_id == j.order_id]


def _assessments(j: Journey, decision: str) -> list[Assessment]:
    rewards = {r.friendbuy_reward_id for r in _order_rewards(j)} | (
        {j.reward.friendbuy_reward_id} if j.reward else set())
    return [a for a in j.file.assessments if a.decision == decision
            and ((j.order_id and a.bc_order_id == j.order_id) or a.reference in rewards)]


def _callbacks(j: Journey) -> list[ValidationCallback]:
    return [v for v in j.file.validations if j.order_id and v.bc_order_id == j.order_id]


def _code(j: Journey) -> CouponCode | None:
    return j.reward.coupon if j.reward is not None else None


def _redemption(j: Journey, code: CouponCode):
    return next((x for x in j.file.redemptions if x.coupon_id == code.pk), None)


def _transition_at(reward: Reward, state: str):
    return next((t.at for t in reward.transitions.all() if t.to_state == state), None)


def _order_webhook(j: Journey) -> int | None:
    hooks = [h for h in j.file.webhooks if h.scope.startswith("store/order/") and j.order_id
             and h.resource_id == str(j.order_id) and h.valid and h.status != "duplicate"]
    return hooks[-1].pk if hooks else None


def _follows_order(j: Journey) -> bool:
    """The friend's order is this journey's to follow: the friend's own, or the one an advocate's referral
    of that friend produced."""
    return j.role == "friend" or j.signals is not None


def _paid_order(j: Journey) -> bool:
    o = j.order
    return o is not None and bool(o.first_paid_at or o.status_id in ONCE_PAID_STATUSES)


# --- the conditions (each returns the sentence's values, or None when its row does not apply) -------------


def visited_without_order(j: Journey) -> dict | None:
    if j.role != "friend" or j.order is not None:
        return None
    captures = _captures(j)
    if not captures:
        return None
    c = captures[-1]
    return {"at": _when(c.created_at), "code": c.referral_code or c.friend_coupon,
            "advocate": c.advocate_customer_id or "the advocate", "emails": ", ".join(j.file.aliases) or "this person"}


def store_disconnected(j: Journey) -> dict | None:
    o = j.order
    if o is None or not _follows_order(j):
        return None
    event = _purchase(j)
    said_so = event is not None and "not connected" in (event.last_error or "")
    connection = FriendbuyConnection.objects.filter(store=j.file.store).only("connected_at").first()
    unsent = event is None or event.state != OutboxEvent.State.SENT
    if not (said_so or (connection is None and unsent)):
        return None
    now = ("is still not connected" if connection is None
           else f"has been connected again since {_when(connection.connected_at)}")
    return {"order": o.bc_order_id, "placed": _when(o.bc_date_created or o.created_at), "now": now,
            "target": event.pk if event is not None and unsent else None}


def never_visited(j: Journey) -> dict | None:
    s = j.signals
    if j.role != "friend" or s is None or s.referred or _order_rewards(j) or _captures(j):
        return None
    return {"order": s.order.bc_order_id, "placed": _when(s.order.bc_date_created), "amount": _order_amount(s.order),
            "email": s.order.email or "no email", "target": s.order.pk}


def other_device(j: Journey) -> dict | None:
    s = j.signals
    if j.role != "friend" or s is None or s.referred or _order_rewards(j):
        return None
    visits = [c for c in _captures(j) if c.signature_valid] or _captures(j)
    if not visits:
        return None
    c = visits[-1]
    return {"order": s.order.bc_order_id, "placed": _when(s.order.bc_date_created), "amount": _order_amount(s.order),
            "visited": _when(c.created_at), "code": c.referral_code or c.friend_coupon,
            "advocate": c.advocate_customer_id or "the advocate", "target": s.order.pk}


def another_advocate_first(j: Journey) -> dict | None:
    s = j.signals
    if j.role != "friend" or s is None or not s.referred:
        return None
    credited = (s.manual.referral_code if s.manual else s.referral_code) or s.friend_coupon
    placed = s.order.bc_date_created or s.order.created_at
    earlier = [c for c in _captures(j) if c.referral_code and credited
               and c.referral_code.lower() != credited.lower() and (placed is None or c.created_at <= placed)]
    if not earlier:
        return None
    first = earlier[0]
    return {"order": s.order.bc_order_id, "credited": credited, "other": first.referral_code,
            "other_advocate": first.advocate_customer_id or "another advocate", "visited": _when(first.created_at)}


def not_paid(j: Journey) -> dict | None:
    o = j.order
    if not _follows_order(j) or o is None or _paid_order(j) or o.status_id in VOIDED_STATUSES:
        return None
    s = j.signals
    used = (f" with friend code {s.friend_coupon}" if s.friend_coupon else
            f" with referral code {s.referral_code}" if s.referral_code else "") if s is not None else ""
    return {"order": o.bc_order_id, "amount": _order_amount(o), "placed": _when(o.bc_date_created),
            "status": o.status_label or f"status {o.status_id}", "used": used,
            "target": _order_webhook(j)}


def order_reversed(j: Journey) -> dict | None:
    o = j.order
    if o is None:
        return None
    what = ("refunded" if o.refunded_at else "cancelled" if o.cancelled_at else "declined" if o.declined_at
            else "voided" if o.status_id in VOIDED_STATUSES else "")
    if not what:
        return None
    refund = (f" ({money(o.refunded_amount, o.currency_code)} refunded)"
              if what == "refunded" and o.refunded_amount else "")
    return {"order": o.bc_order_id, "what": what, "at": _when(o.refunded_at or o.cancelled_at or o.declined_at),
            "status": o.status_label or o.status_id, "refund": refund}


def store_minimum_spend(f: CustomerFile) -> Decimal:
    """The campaign minimum we know of: the highest minimum on the rewards in this file."""
    minimums = [r.min_order_amount for r in f.rewards if r.min_order_amount]
    return max(minimums) if minimums else Decimal(0)


def below_minimum(j: Journey) -> dict | None:
    o = j.order
    if o is None:
        return None
    minimum = max([r.min_order_amount for r in _order_rewards(j) if r.min_order_amount]
                  or [store_minimum_spend(j.file)])
    said_so = [v for v in _callbacks(j) if "minimum" in v.reason.lower()]
    spent = o.subtotal_ex_tax - o.discount_amount
    if minimum and spent < minimum:
        return {"order": o.bc_order_id, "spent": money(spent, o.currency_code),
                "minimum": money(minimum, o.currency_code), "why": "the campaign's minimum spend"}
    if said_so:
        return {"order": o.bc_order_id, "spent": money(spent, o.currency_code), "minimum": "the minimum",
                "why": f"our validation answer on {_when(said_so[-1].at)}: {said_so[-1].reason}"}
    return None


def existing_customer(j: Journey) -> dict | None:
    s = j.signals
    if s is None:
        return None
    placed = s.order.bc_date_created or s.order.created_at
    # The file's own orders are the friend's only on the friend's side; an advocate's say nothing of hers.
    own = j.file.orders if j.role == "friend" else []
    earlier = [o.order for o in own if o.order.bc_order_id != s.order.bc_order_id
               and (o.order.first_paid_at or o.order.status_id in ONCE_PAID_STATUSES)
               and (o.order.bc_date_created or o.order.created_at) < placed]
    if s.is_new_customer is not False and not earlier:
        return None
    first = min(earlier, key=lambda o: o.bc_date_created or o.created_at) if earlier else None
    return {"order": s.order.bc_order_id,
            "earlier": f" (earlier paid order {first.bc_order_id} on {_when(first.bc_date_created)})" if first else "",
            "flag": "isNewCustomer false" if s.is_new_customer is False else "an earlier order on file"}


def rejected_by_fraud(j: Journey) -> dict | None:
    rejected = _assessments(j, "reject")
    if not rejected:
        return None
    a = rejected[-1]
    who = "a reviewer" if a.decided_by and a.decided_by != "rules" else "the fraud rules"
    return {"subject": _subject(a), "who": who, "rules": _rules(a),
            "at": _when(a.decided_at or a.created_at), "link": _url("admin:fraud_assessment_decide", a.pk),
            "assessment": a.pk}


def held_for_review(j: Journey) -> dict | None:
    held = _assessments(j, "hold")
    holds = [h for h in j.file.holds if h.state == ReviewHold.State.PENDING and h.bc_order_id == j.order_id]
    pending = next((r for r in [j.reward, *_order_rewards(j)] if r is not None and r.state == Reward.State.PENDING),
                   None)
    assessment = None
    if held:
        a = held[-1]
        what, since, why, assessment = _subject(a), a.created_at, _rules(a), a.pk
    elif holds:
        what, since, why = f"order {holds[-1].bc_order_id}", holds[-1].created_at, holds[-1].reason or "no reason given"
    else:
        return None
    return {"what": what, "since": _when(since), "why": why, "who": WHO_CAN_APPROVE,
            "target": pending.pk if pending is not None else None, "link": _url("admin:fraud_assessment_queue"),
            "assessment": assessment}


def event_failed(j: Journey) -> dict | None:
    e = _purchase(j)
    if e is None or e.state not in (OutboxEvent.State.FAILED, OutboxEvent.State.DEAD):
        return None
    response = e.last_response or e.last_error or "no response"
    if isinstance(response, dict):
        response = "; ".join(f"{k}: {v}" for k, v in response.items())
    return {"key": e.natural_key, "state": "dead-lettered" if e.state == OutboxEvent.State.DEAD else "failing",
            "attempts": e.attempts, "status": e.last_status or "none", "response": str(response)[:300],
            "target": e.pk}


def event_not_sent(j: Journey) -> dict | None:
    if j.signals is None or not j.signals.referred or not _paid_order(j) or _order_rewards(j):
        return None
    e = _purchase(j)
    if e is not None and e.state == OutboxEvent.State.SENT:
        return None
    if e is None:
        return {"order": j.order_id, "state": "was never queued", "target": None}
    return {"order": j.order_id, "state": f"is queued ({e.get_state_display().lower()}, attempt {e.attempts}, "
                                          f"next try {_when(e.next_attempt_at)})", "target": e.pk}


def validation_refused(j: Journey) -> dict | None:
    refused = [v for v in _callbacks(j) if v.answer_status == 400]
    if not refused:
        return None
    v = refused[-1]
    return {"order": j.order_id, "at": _when(v.at), "reason": v.reason or "no reason recorded"}


def awaiting_friendbuy(j: Journey) -> dict | None:
    if not _follows_order(j) or any(r.recipient == Reward.Recipient.ADVOCATE for r in _order_rewards(j)):
        return None
    e = _purchase(j)
    if e is None or e.state != OutboxEvent.State.SENT:
        return None
    return {"order": j.order_id, "sent": _when(e.sent_at or e.updated_at), "status": e.last_status or 200,
            "advocate": _advocate_of(j) or "the advocate", "check": FRIENDBUY_CHECK}


def reward_pending(j: Journey) -> dict | None:
    r = j.reward
    if r is None or r.state != Reward.State.PENDING:
        return None
    callbacks = _callbacks(j)
    last = callbacks[-1] if callbacks else None
    answered = (f"our last answer to Friendbuy's validation call was {last.answer_status} on {_when(last.at)}"
                f"{': ' + last.reason if last.reason else ''}" if last
                else "Friendbuy has not asked us to validate it yet")
    return {"reward": r.friendbuy_reward_id, "amount": money(r.amount, r.currency or r.unit),
            "order": j.order_id or "?", "answered": answered, "target": r.pk}


def code_not_minted(j: Journey) -> dict | None:
    r = j.reward
    if r is None:
        return None
    code = _code(j)
    if r.state == Reward.State.APPROVED and code is None:
        failed = next((x for x in reversed(j.file.fulfilments) if x.reward_id == r.pk and x.reason), None)
        why = failed.reason if failed else (
            f"Friendbuy's code {r.friendbuy_coupon_code} is in none of our code pools" if r.friendbuy_coupon_code
            else _no_template(r) or "the code was not made yet (the reward pool was empty or BigCommerce refused "
                                    "it); the pending-issue sweep tries again")
        return {"reward": r.friendbuy_reward_id, "amount": money(r.amount, r.currency or r.unit),
                "approved": _when(_transition_at(r, Reward.State.APPROVED)), "why": why, "target": r.pk}
    if code is not None and code.state == CouponCode.State.MINTING:
        return {"reward": r.friendbuy_reward_id, "amount": money(r.amount, r.currency or r.unit),
                "approved": _when(_transition_at(r, Reward.State.APPROVED)),
                "why": f"BigCommerce has not confirmed code {code.code} ({code.last_error or 'still minting'})",
                "target": r.pk}
    return None


def _no_template(r: Reward) -> str:
    """Why no code template applies, when the merchant's templates leave this reward out ('' when one does;
    with no template of their own the default one makes discount codes for everyone)."""
    templates = list(CouponTemplate.objects.filter(store_id=r.store_id, is_active=True))
    if not templates and r.reward_type == "discount":
        return ""
    if any((not t.recipients or r.recipient in t.recipients) and r.reward_type in (t.reward_types or ["discount"])
           for t in templates):
        return ""
    return (f"no code template in the app settings makes codes for a {r.reward_type} reward for the "
            f"{r.get_recipient_display().lower()}")


def code_revoked_after_refund(j: Journey) -> dict | None:
    code = _code(j)
    if code is None or code.state != CouponCode.State.DISABLED:
        return None
    o = j.order
    refunded = o is not None and (o.refunded_at or o.cancelled_at or o.status_id in VOIDED_STATUSES)
    if not refunded and "refund" not in (code.disabled_reason or "").lower():
        return None
    return {"code": code.code, "at": _when(code.disabled_at), "order": j.order_id or "?",
            "refunded": _when((o.refunded_at or o.cancelled_at) if o is not None else None),
            "target": j.reward.pk}


def code_revoked(j: Journey) -> dict | None:
    code = _code(j)
    if code is None or code.state != CouponCode.State.DISABLED:
        return None
    return {"code": code.code, "at": _when(code.disabled_at), "why": code.disabled_reason or "no reason recorded",
            "target": j.reward.pk}


def code_expired(j: Journey) -> dict | None:
    code = _code(j)
    if code is None or not (code.state == CouponCode.State.EXPIRED or (
            code.state == CouponCode.State.ACTIVE and code.expires_at and code.expires_at < j.now)):
        return None
    return {"code": code.code, "amount": money(code.amount, code.currency),
            "issued": _when(code.minted_at), "at": _when(code.disabled_at or code.expires_at), "target": j.reward.pk}


def code_unused(j: Journey) -> dict | None:
    code = _code(j)
    if code is None or code.state != CouponCode.State.ACTIVE:
        return None
    expiry = f"; it expires on {_when(code.expires_at)}" if code.expires_at else ""
    return {"code": code.code, "amount": money(code.amount, code.currency), "issued": _when(code.minted_at),
            "email": j.reward.email or "the customer", "expiry": expiry, "reward": j.reward.friendbuy_reward_id,
            "target": j.reward.pk}


def friend_has_not_ordered(j: Journey) -> dict | None:
    if j.role != "advocate" or j.reward is not None or j.friend_code is None or j.signals is not None:
        return None
    fc = j.friend_code
    return {"friend": fc.friend_email or fc.friend_customer_id or "the friend", "code": fc.code,
            "at": _when(fc.created_at)}


def healthy(j: Journey) -> dict | None:
    r = j.reward
    if r is None or r.state not in (Reward.State.ISSUED, Reward.State.REDEEMED):
        return None
    code = _code(j)
    used = _redemption(j, code) if code is not None else None
    if r.state == Reward.State.REDEEMED or used is not None:
        ending = (f" and redeemed on order {used.bc_order_id} on {_when(used.redeemed_at)}" if used is not None
                  else f" and redeemed on {_when(_transition_at(r, Reward.State.REDEEMED))}")
    else:
        ending = ", not redeemed yet"
    return {"who": r.get_recipient_display().lower(), "reward": r.friendbuy_reward_id,
            "amount": money(r.amount, r.currency or r.unit), "order": f" for order {r.bc_order_id}" if r.bc_order_id else "",
            "issued": _when(_transition_at(r, Reward.State.ISSUED)),
            "code": code.code if code is not None else r.friendbuy_coupon_code or "no code (fulfilled another way)",
            "ending": ending}


# --- the table --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One row: when `condition` returns values, the journey stopped here (or, for a note, passed by)."""

    code: str
    severity: str
    condition: Callable[[Journey], dict | None]
    sentence: str
    next_step: str
    action: str = ""
    blocks: bool = True


STEPS: tuple[Step, ...] = (
    Step("visited_no_order", "warning", visited_without_order,
         "They visited a referral link on {at} (code {code}, advocate {advocate}) but no order under {emails} "
         "has reached us.",
         "Ask for the order number or the email used at checkout and search that; an order placed with another "
         "email can be linked to the referral by hand."),
    Step("store_disconnected", "error", store_disconnected,
         "The store was not connected to Friendbuy when order {order} was placed on {placed} (the store {now}), "
         "so Friendbuy could not hear of the purchase.",
         "Reconnect Friendbuy on the merchant page, then resend the purchase event (or link the order by hand).",
         "resend_event"),
    Step("never_visited", "error", never_visited,
         "The friend never visited a referral link: order {order} ({amount}, placed {placed} by {email}) carried "
         "no referral link, code or friend coupon, and no referral visit was ever recorded for them.",
         "Ask the advocate which link or code they shared; if the friend really was referred, link the order to the "
         "advocate's referral by hand.", "link_order"),
    Step("other_device", "error", other_device,
         "The friend visited {advocate}'s referral link on {visited} (code {code}) but order {order} ({amount}, "
         "placed {placed}) carried no code and no link: it was most likely placed on another device or browser.",
         "Link the order to the advocate's referral by hand (code {code}); Friendbuy then applies the campaign's "
         "rules as for any referred purchase.", "link_order"),
    Step("another_advocate_first", "info", another_advocate_first,
         "Order {order} was credited to the referral it carried ({credited}); the friend had also used "
         "{other_advocate}'s link (code {other}) on {visited}, and that advocate gets nothing for it.",
         "Nothing to fix: one purchase rewards one advocate. If the other advocate complains, this is the answer.",
         blocks=False),
    Step("not_paid", "warning", not_paid,
         "Order {order} ({amount}, placed {placed}){used} is not paid yet ({status}); Friendbuy hears of a "
         "referred order only once it is paid.",
         "Check the payment in BigCommerce; if it is paid there, replay the order's webhook so we read it again.",
         "replay_webhook"),
    Step("code_revoked_after_refund", "warning", code_revoked_after_refund,
         "Code {code} was revoked on {at} because order {order} was refunded or cancelled ({refunded}).",
         "Nothing is owed for a refunded order; if the refund was a mistake, issue a new code.", "reissue_code"),
    Step("order_reversed", "error", order_reversed,
         "Order {order} was {what} on {at} ({status}){refund}; a cancelled or refunded order earns no reward.",
         "Nothing is owed for this order. If the customer ordered again, look up that order."),
    Step("below_minimum", "error", below_minimum,
         "Order {order} spent {spent}, below {minimum} the reward requires ({why}).",
         "Nothing is owed under the campaign's rules; to reward it anyway, grant a reward in Friendbuy by hand."),
    Step("existing_customer", "error", existing_customer,
         "The friend was not a new customer{earlier}: order {order} was sent to Friendbuy with {flag}, and the "
         "referral campaign rewards new customers only.",
         "Nothing is owed under the campaign's rules; if the earlier order was someone else's, correct the "
         "customer record in BigCommerce and link the order by hand.", "link_order"),
    Step("rejected_by_fraud", "error", rejected_by_fraud,
         "The {subject} was rejected by {who} on {at}: {rules}. No reward is paid for it and Friendbuy's "
         "validation call is answered 400.",
         "If the rule was wrong (family members sharing a home, say), " + WHO_CAN_APPROVE + " overturns it with "
         "Approve on the assessment in the fraud review; the reward is then issued."),
    Step("held_for_review", "warning", held_for_review,
         "The {what} is held for fraud review since {since}: {why}.",
         "{who} approves or rejects it from the fraud review queue (or with Approve on the reward below).",
         "approve_reward"),
    Step("event_failed", "error", event_failed,
         "The purchase event {key} is {state} after {attempts} attempts (HTTP {status}): {response}. Friendbuy "
         "never received the purchase.",
         "Fix the cause named in Friendbuy's answer, then resend the event (a dead-lettered event is replayed).",
         "resend_event"),
    Step("event_not_sent", "warning", event_not_sent,
         "The purchase event for referred order {order} {state}: Friendbuy has not received the purchase yet.",
         "Wait for the next try, or resend the event now.", "resend_event"),
    Step("validation_refused", "error", validation_refused,
         "Friendbuy asked us to confirm the reward for order {order} on {at} and we answered 400 (refused): "
         "{reason}.",
         "If the reason no longer holds, the next validation call is answered anew; otherwise nothing is owed."),
    Step("awaiting_friendbuy", "info", awaiting_friendbuy,
         "Order {order} was sent to Friendbuy as referred by {advocate} on {sent} (HTTP {status}), and Friendbuy "
         "has not rewarded the advocate yet: the campaign's approval delay may still be running.",
         "{check}."),
    Step("reward_pending", "info", reward_pending,
         "Reward {reward} ({amount}) for order {order} is pending: Friendbuy holds it for the campaign's approval "
         "period, then asks us to confirm the order was not returned; {answered}.",
         "Wait for the approval period to end; to release it now, approve the reward.", "approve_reward"),
    Step("code_not_minted", "error", code_not_minted,
         "Reward {reward} ({amount}) was approved on {approved} but has no code yet: {why}.",
         "Fix the cause (the code template or pool in the app settings), then issue the code again.",
         "reissue_code"),
    Step("code_revoked", "warning", code_revoked,
         "Code {code} was revoked on {at}: {why}.",
         "If it should not have been, issue a new code.", "reissue_code"),
    Step("code_expired", "warning", code_expired,
         "Code {code} ({amount}, issued {issued}) expired unused on {at}.",
         "Issue a new code if the store wants to honour it.", "reissue_code"),
    Step("code_unused", "ok", code_unused,
         "The referral worked: reward {reward}'s code {code} ({amount}) was issued on {issued} to {email} and "
         "has not been used yet{expiry}.",
         "Give the customer the code (it is in the reward email); nothing is broken."),
    Step("friend_has_not_ordered", "info", friend_has_not_ordered,
         "{friend} got friend code {code} on {at}, and no reward for that referral has reached us.",
         "Search {friend} to follow the friend's side of the journey."),
    Step("all_good", "ok", healthy,
         "All good: {who} reward {reward} ({amount}){order} was issued on {issued} with code {code}{ending}.",
         "Nothing to do."),
)


# --- the walk ---------------------------------------------------------------------------------------------


def focus_order(f: CustomerFile, *, bc_order_id: int | None = None) -> OrderSignals | None:
    """The order in question: the one searched for, else the latest paid order, else the latest order."""
    if bc_order_id:
        for signals in f.orders:
            if signals.order.bc_order_id == bc_order_id:
                return signals
    paid = [s for s in f.orders if s.order.first_paid_at]
    return max(paid, key=lambda s: s.order.first_paid_at) if paid else (f.orders[0] if f.orders else None)


def _main_reward(f: CustomerFile, order_id: int | None) -> Reward | None:
    rewards = [r for r in f.rewards if order_id and r.bc_order_id == order_id]
    return next((r for r in rewards if r.recipient == Reward.Recipient.ADVOCATE), rewards[0] if rewards else None)


def journeys(f: CustomerFile, *, bc_order_id: int | None = None) -> list[Journey]:
    """Every referral the person is in: as friend, the order in question and each other referred order (or
    their referral visit when they have no order); as advocate, each advocate reward and each friend code
    with no reward yet. An advocate's own unreferred orders are no referral unless searched for."""
    mine = set(f.friendbuy_ids)
    my_orders = {s.order.bc_order_id for s in f.orders}
    advocate_rewards = [r for r in f.rewards if r.recipient == Reward.Recipient.ADVOCATE and r.customer_id in mine
                        and r.bc_order_id not in my_orders]
    friend_orders = {s.order.bc_order_id: s for s in f.friend_orders}
    rewarded_orders = {r.bc_order_id for r in advocate_rewards if r.bc_order_id}
    rewarded = {r.friend_email.lower() for r in advocate_rewards if r.friend_email}
    code_orders = {c.pk: _friend_order_of(c, f.friend_orders) for c in f.friend_codes}
    friend_codes = [c for c in f.friend_codes if c.advocate_customer_id in mine
                    and (c.friend_email or "").lower() not in rewarded
                    and not (code_orders[c.pk] and code_orders[c.pk].order.bc_order_id in rewarded_orders)]
    is_advocate = bool(advocate_rewards or friend_codes)
    focus = focus_order(f, bc_order_id=bc_order_id)
    own_referred = [focus] if focus is not None and (bc_order_id or focus.referred or not is_advocate) else []
    if not bc_order_id:
        own_referred += [s for s in f.orders if s is not focus and s.referred]
    found = [Journey(file=f, role="friend", signals=s, reward=_main_reward(f, s.order.bc_order_id))
             for s in own_referred]
    if not f.orders and _captures(Journey(file=f, role="friend")):
        found.append(Journey(file=f, role="friend"))
    found += [Journey(file=f, role="advocate", reward=r, signals=friend_orders.get(r.bc_order_id))
              for r in advocate_rewards]
    found += [Journey(file=f, role="advocate", friend_code=c, signals=code_orders[c.pk]) for c in friend_codes]
    own = [r for r in f.rewards if r.bc_order_id is None and r.recipient != Reward.Recipient.ADVOCATE
           and r.customer_id in mine]
    found += [Journey(file=f, role="friend", reward=r) for r in own]
    return found


def _friend_order_of(code: FriendCode, friend_orders: list[OrderSignals]) -> OrderSignals | None:
    """The friend's order behind a friend code: the order that used the code, else the friend's latest
    referred order."""
    used = next((s for s in friend_orders if order_used_code(s, code.code)), None)
    email = (code.friend_email or "").lower()
    return used or next((s for s in friend_orders if email and s.order.email.lower() == email and s.referred), None)


def walk(j: Journey) -> list[Finding]:
    """The journey's notes up to the first row that stops it, and that row."""
    out = []
    for step in STEPS:
        values = step.condition(j)
        if values is None:
            continue
        target = values.get("target")
        out.append(Finding(
            code=step.code, severity=step.severity, message=step.sentence.format(**values),
            next_step=step.next_step.format(**values), action=step.action if target else "", target=target,
            link=values.get("link", ""), role=j.role, referral=j.label,
            evidence={k: v for k, v in values.items() if k not in ("target", "link", "check")}))
        if step.blocks:
            break
    return out


def diagnose(f: CustomerFile, *, bc_order_id: int | None = None) -> list[Finding]:
    """Per referral the person is in, the first step that did not happen (after any notes); the order
    searched for first."""
    findings = [finding for j in journeys(f, bc_order_id=bc_order_id) for finding in walk(j)]
    if not findings:
        findings.append(Finding(
            "nothing_found", "info",
            "Nothing to diagnose: we know of no order, referral visit, reward or code for this person.",
            "Ask for the email used at checkout or the order number and search that; an advocate is found by the "
            "email Friendbuy knows her by."))
    return findings
