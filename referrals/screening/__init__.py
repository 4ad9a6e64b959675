"""Fraud screening: where referrals meets fraud: build fraud's plain `Subject`s from our models at the right moments and
apply the decisions (DESIGN.md §2: referrals orchestrates fraud; fraud imports nothing of ours).

Moments:
* every paid order (`orders.signals.order_event_recorded`, kind paid) → its signals are recorded; when a
  referral led to it (a friend code from Friendbuy, or a signed referral capture) it is a **conversion**
  and is assessed;
* every new reward (called by `rewards.issue.reward_record` before it approves) → a **reward** assessment;
* every redemption of one of our codes (post_save of coupons.Redemption) → a **redemption** assessment;
* every referral visit (post_save of AttributionCapture) → its signals.

Decisions reach the rest of referrals through `ReviewHold`, one per order, mirroring all of the order's
assessments (any reject → rejected; any hold → pending; else approved): the reward validation callback
answers 503 while pending and 400 once rejected, and `reward_record` leaves rewards of a held order
pending (never minted). When a reviewer (or the auto-decision) decides later, fraud sends
`assessment_decided`; we re-mirror the order and release (approve + mint) or reject its rewards.

Modules: `people` (subjects), `assessment` (conversion, reward, redemption), `decisions` (holds released or refused).
"""
