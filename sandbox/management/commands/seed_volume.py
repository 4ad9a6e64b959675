"""manage.py seed_volume STORE_HASH --orders N [--customers M] [--rewards K]: realistic volume, written
straight into the app's tables for benchmarks and demos (never sent anywhere).

Customers with identities (and alias emails), paid/refunded/cancelled order snapshots spread over 13
months in three currencies, attribution (capture + device link) on ~20% of orders, a purchase outbox
row per paid order, advocate rewards with transitions, coupon codes and redemptions on a share of
the referred orders, and fraud assessments on a few. Written in batches (bulk_create; COPY on PostgreSQL) inside one
transaction per batch, so memory stays flat (only an array of identity ids is kept).
"""

from __future__ import annotations

import contextlib
import random
import time
from array import array
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import connection, models, transaction
from psycopg.types.json import Jsonb

from coupons.models import CouponCode, CouponTemplate, Promotion, Redemption
from fraud.models import Assessment
from referrals.models import (
    AttributionCapture,
    CustomerIdentity,
    OrderAttributionLink,
    OrderSnapshot,
    OutboxEvent,
    Reward,
    RewardTransition,
)
from referrals.reporting.rollup import reports_rollup
from storefront.models import Store

BATCH = 5000
CURRENCIES = [("USD", Decimal("1")), ("EUR", Decimal("0.92")), ("GBP", Decimal("0.79"))]
CAMPAIGNS = ["spring-referral", "summer-referral", "vip-referral"]
SEEDED = [OrderSnapshot, OutboxEvent, AttributionCapture, OrderAttributionLink, Reward, RewardTransition,
          CouponCode, Redemption, Assessment, CustomerIdentity]


@contextlib.contextmanager
def timestamps_as_given():
    """Let the seed set created_at & co. (auto_now/auto_now_add would stamp every row 'now')."""
    flipped = []
    for model in SEEDED:
        for f in model._meta.concrete_fields:
            for attr in ("auto_now", "auto_now_add"):
                if getattr(f, attr, False):
                    setattr(f, attr, False)
                    flipped.append((f, attr))
    try:
        yield
    finally:
        for f, attr in flipped:
            setattr(f, attr, True)


def _insert(model, objs: list) -> list:
    """bulk_create, or on PostgreSQL COPY with ids reserved from the table's sequence (several times
    faster: no per-value SQL quoting). Returns the objects with their primary keys set."""
    if not objs:
        return objs
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objs)

    table = model._meta.db_table
    fields = model._meta.concrete_fields
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                       [table, len(objs)])
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
            obj._state.adding = False
        json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        names = [f.attname for f in fields]
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([Jsonb(getattr(obj, n)) if n in json_fields else getattr(obj, n) for n in names])
    return objs


class Command(BaseCommand):
    help = "Seed realistic volume (customers, orders, attribution, outbox, rewards, codes, fraud) for one store."

    def add_arguments(self, parser):
        parser.add_argument("store_hash")
        parser.add_argument("--orders", type=int, required=True)
        parser.add_argument("--customers", type=int, default=None)
        parser.add_argument("--rewards", type=int, default=None)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, store_hash: str, orders: int, customers: int | None, rewards: int | None,
               seed: int, **options):
        started = time.monotonic()
        result = seed_volume(store_hash=store_hash, orders=orders, customers=customers or max(1, orders * 3 // 10),
                             rewards=rewards if rewards is not None else orders // 5, seed=seed,
                             progress=lambda text: self.stdout.write(text))
        self.stdout.write(self.style.SUCCESS(
            f"Seeded {store_hash}: " + ", ".join(f"{k} {v}" for k, v in result.items())
            + f" in {time.monotonic() - started:.1f}s"))


def _promotion(store: Store) -> Promotion:
    template, _ = CouponTemplate.objects.get_or_create(store=store, name="seed", defaults={"prefix": "SD"})
    promotion, _ = Promotion.objects.get_or_create(
        store=store, template=template, discount_kind="fixed", amount=Decimal("10"), currency="USD",
        coupon_type=Promotion.CouponType.SINGLE, defaults={"name": f"seed-{store.store_hash}", "bc_promotion_id": 1})
    return promotion


def seed_volume(*, store_hash: str, orders: int, customers: int, rewards: int, seed: int = 1,
                progress=lambda text: None) -> dict[str, int]:
    rng = random.Random(seed)
    store, _ = Store.objects.get_or_create(store_hash=store_hash, defaults={
        "access_token": f"seed-token-{store_hash}-0123456789", "default_currency": "USD"})
    promotion = _promotion(store)
    now = datetime.now(UTC)
    first_day = now - timedelta(days=396)  # 13 months
    counts = dict.fromkeys(["customers", "orders", "outbox", "attributed", "rewards", "codes", "redemptions",
                            "assessments"], 0)
    order_base = (OrderSnapshot.objects.filter(store=store).order_by("-bc_order_id")
                  .values_list("bc_order_id", flat=True).first() or 100000) + 1
    cust_base = (CustomerIdentity.objects.filter(store=store, bc_customer_id__isnull=False)
                 .order_by("-bc_customer_id").values_list("bc_customer_id", flat=True).first() or 0) + 1
    identity_ids = array("q")
    with timestamps_as_given():
        for start in range(0, customers, BATCH):
            batch = []
            for i in range(start, min(customers, start + BATCH)):
                number = cust_base + i
                domain = "gmail.com" if i % 3 == 0 else "example.com"
                email = f"shopper.{number}@{domain}"
                seen = first_day + timedelta(seconds=rng.randrange(396 * 86400))
                batch.append(CustomerIdentity(
                    store=store, bc_customer_id=number, email=email,
                    normalized_email=email.replace("shopper.", "shopper") if domain == "gmail.com" else email,
                    friendbuy_customer_id=str(number), first_name="Shopper", last_name=str(number),
                    first_seen=seen, last_seen=seen))
            with transaction.atomic():
                created = _insert(CustomerIdentity, batch)
            identity_ids.extend(c.pk for c in created)
            counts["customers"] += len(created)
        progress(f"customers: {counts['customers']}")
        referred_share = 0.2
        reward_chance = min(1.0, rewards / max(1.0, orders * referred_share * 0.9))
        for start in range(0, orders, BATCH):
            _order_batch(store=store, rng=rng, start=start, size=min(BATCH, orders - start), order_base=order_base,
                         cust_base=cust_base, identity_ids=identity_ids, first_day=first_day, now=now,
                         referred_share=referred_share, reward_chance=reward_chance,
                         rewards_left=rewards - counts["rewards"], promotion=promotion, counts=counts)
            if (start // BATCH) % 20 == 0:
                progress(f"orders: {counts['orders']} rewards: {counts['rewards']}")

    counts["report_rows"] = reports_rollup(store_id=store.pk, start=first_day.date(), end=now.date())
    return counts


def _order_batch(*, store, rng, start, size, order_base, cust_base, identity_ids, first_day, now, referred_share,
                 reward_chance, rewards_left, promotion, counts) -> None:
    snapshots, meta = [], []
    for i in range(start, start + size):
        k = rng.randrange(len(identity_ids))
        number = cust_base + k
        email = f"shopper.{number}@{'gmail.com' if k % 3 == 0 else 'example.com'}"
        created = first_day + timedelta(seconds=rng.randrange(396 * 86400))
        currency, rate = CURRENCIES[0] if rng.random() < 0.8 else rng.choice(CURRENCIES[1:])
        subtotal = Decimal(rng.randrange(1500, 25000)) / 100
        total = (subtotal * Decimal("1.08")).quantize(Decimal("0.01"))
        roll = rng.random()
        status, label = (10, "Completed") if roll < 0.9 else (4, "Refunded") if roll < 0.94 else \
            (5, "Cancelled") if roll < 0.97 else (7, "Awaiting Payment")
        paid = status in (10, 4)
        snapshots.append(OrderSnapshot(
            store=store, bc_order_id=order_base + i, identity_id=identity_ids[k], status_id=status, status_label=label,
            payment_status="captured" if paid else "", subtotal_ex_tax=subtotal, subtotal_inc_tax=total,
            total_ex_tax=subtotal, total_inc_tax=total, currency_code=currency, default_currency_code=currency,
            store_default_currency_code="USD", exchange_rate=rate, cart_id=f"cart-{order_base + i}",
            default_currency_total=(total / rate).quantize(Decimal("0.0001")), customer_id=number, email=email,
            normalized_email=email.replace("shopper.", "shopper") if k % 3 == 0 else email,
            billing_first_name="Shopper", billing_last_name=str(number), ip_address="203.0.113.7",
            user_agent="Mozilla/5.0 (seed)", is_paid=status == 10, first_paid_at=created + timedelta(minutes=2)
            if paid else None, refunded_at=created + timedelta(days=5) if status == 4 else None,
            cancelled_at=created + timedelta(hours=3) if status == 5 else None, bc_date_created=created,
            bc_date_modified=created, synced_at=created, created_at=created))
        meta.append((paid, rng.random() < referred_share, k))
    with transaction.atomic():
        orders = _insert(OrderSnapshot, snapshots)
        outbox, captures, attributed = [], [], []
        for order, (paid, referred, _k) in zip(orders, meta, strict=True):
            campaign = CAMPAIGNS[order.bc_order_id % len(CAMPAIGNS)]
            if referred:
                advocate = cust_base + rng.randrange(len(identity_ids))
                captures.append(AttributionCapture(
                    store=store, device_id=f"dev-{order.bc_order_id}", cart_id=f"cart-{order.bc_order_id}",
                    bc_customer_id=order.customer_id, email=order.email, attribution_id=f"att-{order.bc_order_id}",
                    referral_code=f"REF{advocate}", campaign_id=campaign, advocate_customer_id=str(advocate),
                    signature_valid=True, created_at=order.bc_date_created - timedelta(hours=1)))
                attributed.append((order, advocate, campaign))
            if paid:
                dead = rng.random() < 0.01
                outbox.append(OutboxEvent(
                    store=store, kind=OutboxEvent.Kind.PURCHASE, natural_key=f"purchase:{order.bc_order_id}",
                    order=order, identity_id=order.identity_id,
                    payload={"orderId": str(order.bc_order_id), "amount": float(order.subtotal_ex_tax),
                             "currency": order.currency_code, "isNewCustomer": rng.random() < 0.6,
                             **({"referralCode": f"REF{attributed[-1][1]}", "attributionId": f"att-{order.bc_order_id}"}
                                if referred else {})},
                    state=OutboxEvent.State.DEAD if dead else OutboxEvent.State.SENT, attempts=12 if dead else 1,
                    last_status=400 if dead else 200, last_error="Invalid email" if dead else "",
                    sent_at=None if dead else order.first_paid_at, created_at=order.first_paid_at,
                    updated_at=order.first_paid_at))
        _insert(OutboxEvent, outbox)
        captures = _insert(AttributionCapture, captures)
        _insert(OrderAttributionLink, [
            OrderAttributionLink(store=store, bc_order_id=o.bc_order_id, device_id=c.device_id, cart_id=c.cart_id,
                                 capture=c, user_agent="Mozilla/5.0 (seed)", created_at=o.bc_date_created)
            for (o, _, _), c in zip(attributed, captures, strict=True)])
        _rewards(store=store, rng=rng, attributed=[a for a in attributed if a[0].first_paid_at],
                 chance=reward_chance, left=rewards_left, promotion=promotion, counts=counts)
        counts["orders"] += len(orders)
        counts["outbox"] += len(outbox)
        counts["attributed"] += len(attributed)


def _rewards(*, store, rng, attributed, chance, left, promotion, counts) -> None:
    chosen = [a for a in attributed if rng.random() < chance][:max(0, left)]
    codes, rewards, plans = [], [], []
    for order, advocate, campaign in chosen:
        roll = rng.random()
        state = (Reward.State.REDEEMED if roll < 0.6 else Reward.State.ISSUED if roll < 0.85 else
                 Reward.State.PENDING if roll < 0.9 else Reward.State.REVOKED if roll < 0.95 else Reward.State.REJECTED)
        at = order.first_paid_at + timedelta(days=rng.randrange(1, 15))
        code = None
        if state in (Reward.State.REDEEMED, Reward.State.ISSUED, Reward.State.REVOKED):
            code = CouponCode(
                store=store, code=f"SD{order.bc_order_id}", source_key=f"reward:seed-{store.pk}-{order.bc_order_id}",
                promotion=promotion, bc_code_id=order.bc_order_id,
                state={"redeemed": "redeemed", "issued": "active", "revoked": "disabled"}[state],
                issued_to_customer_id=str(advocate), amount=Decimal("10"), currency="USD", minted_at=at,
                redeemed_at=at + timedelta(days=7) if state == Reward.State.REDEEMED else None,
                disabled_at=at + timedelta(days=3) if state == Reward.State.REVOKED else None,
                disabled_reason="Order refunded" if state == Reward.State.REVOKED else "",
                expires_at=at + timedelta(days=90), created_at=at)
            codes.append(code)
        plans.append((order, advocate, campaign, state, at, code))
    _insert(CouponCode, codes)
    for order, advocate, campaign, state, at, code in plans:
        rewards.append(Reward(
            store=store, friendbuy_reward_id=f"rw-{store.pk}-{order.bc_order_id}", recipient=Reward.Recipient.ADVOCATE,
            reward_type="discount", amount=Decimal("10"), unit="USD", currency="USD", customer_id=str(advocate),
            email=f"shopper.{advocate}@example.com", campaign_id=campaign, reward_trigger="purchase",
            friend_email=order.email, bc_order_id=order.bc_order_id, order=order, coupon=code, state=state,
            created_at=at, updated_at=at))
    rewards = _insert(Reward, rewards)
    path = {Reward.State.PENDING: [], Reward.State.REJECTED: ["rejected"], Reward.State.ISSUED: ["approved", "issued"],
            Reward.State.REDEEMED: ["approved", "issued", "redeemed"],
            Reward.State.REVOKED: ["approved", "issued", "revoked"]}
    transitions = []
    for reward, (_, _, _, state, at, code) in zip(rewards, plans, strict=True):
        previous = "pending"
        for step, to_state in enumerate(path[state]):
            transitions.append(RewardTransition(reward=reward, from_state=previous, to_state=to_state,
                                                at=at + timedelta(days=step * 3), reason="seed",
                                                code=code.code if code else "", amount=reward.amount, currency="USD"))
            previous = to_state
    _insert(RewardTransition, transitions)
    _insert(Redemption, [
        Redemption(store=store, coupon=code, bc_order_id=order.bc_order_id + 1, customer_id=str(advocate),
                   order_total=Decimal("80"), redeemed_at=code.redeemed_at)
        for order, advocate, _, state, _, code in plans if state == Reward.State.REDEEMED])
    assessments = [
        Assessment(store=store, subject_type=Assessment.SubjectType.CONVERSION, reference=str(order.bc_order_id),
                   bc_order_id=order.bc_order_id, customer_key=str(order.customer_id), advocate_key=str(advocate),
                   amount=order.subtotal_ex_tax, hits=[{"rule": "shared_ip", "weight": 30, "hard": False,
                                                         "evidence": {"ip": "203.0.113.7"}}],
                   score=30, decision="hold" if rng.random() < 0.5 else "approve", decided_by="rules",
                   decided_at=order.first_paid_at, created_at=order.first_paid_at)
        for order, advocate, _ in [a for a in (p[:3] for p in plans)] if rng.random() < 0.05]
    _insert(Assessment, assessments)
    counts["rewards"] += len(rewards)
    counts["codes"] += len(codes)
    counts["redemptions"] += sum(1 for p in plans if p[3] == Reward.State.REDEEMED)
    counts["assessments"] += len(assessments)
