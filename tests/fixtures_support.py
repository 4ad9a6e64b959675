"""Fixtures for support and reporting: a connected store (sandbox twins on both sides), builders for a
customer's history (orders, outbox rows, rewards with transitions, codes, assessments), and staff users
in the "Support staff" and "Auditor" roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from coupons.models import CouponCode, CouponTemplate, Promotion, Redemption
from fraud.models import Assessment
from referrals.models import (
    AttributionCapture,
    FriendbuyConnection,
    OrderAttributionLink,
    OrderSnapshot,
    OutboxEvent,
    Reward,
    RewardTransition,
)
from referrals.orders.identity import identity_upsert, normalize_email
from referrals.support.roles import AUDITOR_GROUP, SUPPORT_GROUP, roles_setup
from sandbox.bigcommerce import world as bc_world
from sandbox.friendbuy import world as fb_world
from tests.factories import StoreFactory

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


class Builder:
    """Writes one customer's history straight into the tables, as the app would have left it."""

    def __init__(self, store):
        self.store = store

    def order(self, bc_order_id: int, *, email: str = "friend@example.com", customer_id: int = 0,
              at: datetime = T0, subtotal: str = "100.00", status_id: int = 10, paid: bool = True,
              currency: str = "USD", rate: str = "1", coupon_codes=(), refunded: bool = False,
              cancelled: bool = False, user_agent: str = "Mozilla/5.0 (test)") -> OrderSnapshot:
        identity = identity_upsert(store=self.store, bc_customer_id=customer_id or None, email=email)
        amount = Decimal(subtotal)
        return OrderSnapshot.objects.create(
            store=self.store, bc_order_id=bc_order_id, identity=identity, status_id=status_id,
            status_label={10: "Completed", 4: "Refunded", 5: "Cancelled", 7: "Awaiting Payment"}.get(status_id, "?"),
            subtotal_ex_tax=amount, subtotal_inc_tax=amount, total_ex_tax=amount, total_inc_tax=amount,
            currency_code=currency, default_currency_code=currency, store_default_currency_code="USD",
            exchange_rate=Decimal(rate), default_currency_total=(amount / Decimal(rate)).quantize(Decimal("0.0001")),
            customer_id=customer_id, email=email, normalized_email=normalize_email(email), user_agent=user_agent,
            coupon_codes=list(coupon_codes), is_paid=paid and status_id == 10,
            first_paid_at=at + timedelta(minutes=1) if paid else None, bc_date_created=at, bc_date_modified=at,
            refunded_at=at + timedelta(days=2) if refunded else None,
            cancelled_at=at + timedelta(days=1) if cancelled else None,
        )

    def purchase_event(self, order: OrderSnapshot, *, state: str = "sent", is_new: bool = True,
                       referral_code: str = "", status: int | None = 200, error: str = "",
                       response: dict | None = None) -> OutboxEvent:
        payload = {"orderId": str(order.bc_order_id), "email": order.email, "amount": float(order.subtotal_ex_tax),
                   "currency": order.currency_code, "isNewCustomer": is_new, "customerId": str(order.customer_id)}
        if referral_code:
            payload |= {"referralCode": referral_code, "attributionId": f"att-{order.bc_order_id}"}
        return OutboxEvent.objects.create(
            store=self.store, kind=OutboxEvent.Kind.PURCHASE, natural_key=f"purchase:{order.bc_order_id}",
            order=order, identity=order.identity, payload=payload, state=state, attempts=1 if state == "sent" else 12,
            last_status=status, last_error=error, last_response=response)

    def attribution(self, order: OrderSnapshot, *, referral_code: str = "ADV-REF", campaign_id: str = "camp-1",
                    advocate: str = "900") -> AttributionCapture:
        capture = AttributionCapture.objects.create(
            store=self.store, device_id=f"dev-{order.bc_order_id}", cart_id="", email=order.email,
            attribution_id=f"att-{order.bc_order_id}", referral_code=referral_code, campaign_id=campaign_id,
            advocate_customer_id=advocate, signature_valid=True)
        if not order.cart_id:  # the link proves its order by the order's cart, as the storefront reports it
            order.cart_id = f"cart-{order.bc_order_id}"
            order.save(update_fields=["cart_id"])
        OrderAttributionLink.objects.create(store=self.store, bc_order_id=order.bc_order_id,
                                            device_id=capture.device_id, cart_id=order.cart_id, capture=capture)
        return capture

    def promotion(self) -> Promotion:
        template, _ = CouponTemplate.objects.get_or_create(store=self.store, name="support-test")
        promotion, _ = Promotion.objects.get_or_create(
            store=self.store, template=template, discount_kind="fixed", amount=Decimal("10"), currency="USD",
            defaults={"name": "support-test", "bc_promotion_id": 77})
        return promotion

    def reward(self, reward_id: str, *, customer_id: str = "900", email: str = "advocate@example.com",
               order: OrderSnapshot | None = None, state: str = "issued", code: str = "",
               recipient: str = "advocate", campaign_id: str = "camp-1", amount: str = "10",
               min_order_amount: str = "0", redeemed_on: int | None = None,
               path: tuple[str, ...] | None = None) -> Reward:
        coupon = None
        if code:
            coupon = CouponCode.objects.create(
                store=self.store, code=code.upper(), source_key=f"reward:{reward_id}", promotion=self.promotion(),
                state={"issued": "active", "redeemed": "redeemed", "revoked": "disabled", "expired": "expired"}.get(
                    state, "active"), issued_to_customer_id=customer_id, issued_to_email=email,
                amount=Decimal(amount), currency="USD", minted_at=T0 + timedelta(days=1),
                expires_at=T0 + timedelta(days=91))
        reward = Reward.objects.create(
            store=self.store, friendbuy_reward_id=reward_id, recipient=recipient, reward_type="discount",
            amount=Decimal(amount), unit="USD", currency="USD", customer_id=customer_id, email=email,
            campaign_id=campaign_id, friend_email=order.email if order else "", advocate_customer_id="",
            bc_order_id=order.bc_order_id if order else None, order=order, coupon=coupon, state=state,
            min_order_amount=Decimal(min_order_amount))
        # Rewards arrive a day after the purchase that earned them (reports group by created_at).
        Reward.objects.filter(pk=reward.pk).update(created_at=(order.first_paid_at if order else T0) + timedelta(days=1))
        reward.refresh_from_db()
        steps = path if path is not None else {
            "pending": (), "approved": ("approved",), "issued": ("approved", "issued"),
            "redeemed": ("approved", "issued", "redeemed"), "revoked": ("approved", "issued", "revoked"),
            "expired": ("approved", "issued", "expired"), "rejected": ("rejected",)}[state]
        previous = "pending"
        for to_state in steps:
            RewardTransition.objects.create(reward=reward, from_state=previous, to_state=to_state,
                                            reason=f"test {to_state}", code=code.upper())
            previous = to_state
        if redeemed_on and coupon is not None:
            Redemption.objects.create(store=self.store, coupon=coupon, bc_order_id=redeemed_on,
                                      customer_id=customer_id, email=email)
        return reward

    def assessment(self, order: OrderSnapshot, *, decision: str = "hold", rule: str = "shared_ip",
                   evidence: dict | None = None, reference: str = "") -> Assessment:
        return Assessment.objects.create(
            store=self.store, subject_type=Assessment.SubjectType.CONVERSION,
            reference=reference or str(order.bc_order_id), bc_order_id=order.bc_order_id,
            customer_key=order.identity.friendbuy_customer_id if order.identity else "",
            hits=[{"rule": rule, "weight": 60, "hard": False, "evidence": evidence or {"ip": "203.0.113.9"}}],
            score=60, decision=decision, decided_by="rules", decided_at=T0)


@pytest.fixture
def support_merchant(db):
    return fb_world.create_merchant()


@pytest.fixture
def support_store(db, support_merchant):
    """An installed store with its fake BigCommerce twin, connected to a fake Friendbuy merchant."""
    store = StoreFactory(default_currency="USD")
    bc_world.create_store(store.store_hash, access_token=store.access_token)
    FriendbuyConnection.objects.create(
        store=store, merchant_id=support_merchant.merchant_id, api_key=support_merchant.api_key,
        api_secret=support_merchant.api_secret, webhook_secret=support_merchant.webhook_secret)
    return store


@pytest.fixture
def build(support_store) -> Builder:
    return Builder(support_store)


def _staff(username: str, group: str | None):
    roles_setup()
    user = get_user_model().objects.create_user(username=username, password="pw-for-tests-1", is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def support_user(db):
    return _staff("sam.support", SUPPORT_GROUP)


@pytest.fixture
def auditor_user(db):
    return _staff("ada.auditor", AUDITOR_GROUP)


@pytest.fixture
def support_client(client, support_user):
    client.force_login(support_user)
    return client


@pytest.fixture
def auditor_client(client, auditor_user):
    client.force_login(auditor_user)
    return client
