"""Reversals, code use and newsletter sign-ups reach Friendbuy as custom events, each once per order and
kind (or per email), each switchable per store, through the app's real webhook URLs and the sandbox."""

import pytest

from referrals.earning.events import earning_event_counts
from referrals.models import EarningSettings, FriendCode, LoyaltyEvent
from sandbox.bigcommerce import world as bc_world
from sandbox.friendbuy import world as fb_world

pytestmark = pytest.mark.django_db(transaction=True)


def _paid_order(store, *, email="ada@example.com", customer_id=0, coupons=()):
    order = bc_world.create_order(store.store_hash, email=email, customer_id=customer_id, status_id=11,
                                  products=[{"name": "Mug", "price": "20.00", "quantity": 2}],
                                  coupons=list(coupons) or None)
    assert [r.status_code for r in bc_world.fire_order_event(store.store_hash, order["id"])] == [200]
    return order


def _refund(store, order, amount=None):
    refund = bc_world.refund_order(store.store_hash, order["id"], **({"amount": amount} if amount else {}))
    bc_world.fire_order_event(store.store_hash, order["id"], scope="store/order/refund/created",
                              refund_id=refund["id"])
    return refund


def _custom(merchant, event_type):
    return [e for e in fb_world.events(merchant, "custom") if e["eventType"] == event_type]


def test_a_full_refund_is_one_custom_event_with_order_amount_currency_and_customer(lc_store, lc_merchant):
    customer = bc_world.create_customer(lc_store.store_hash, email="ada@example.com")
    order = _paid_order(lc_store, customer_id=customer["id"])
    _refund(lc_store, order)
    # BigCommerce resends, and the status webhook reports the same refund: still one event.
    bc_world.fire_order_event(lc_store.store_hash, order["id"], scope="store/order/statusUpdated",
                              previous_status_id=11)
    sent = _custom(lc_merchant, "order_refunded")
    assert len(sent) == 1
    assert sent[0]["deduplicationId"] == f"order_refunded:{order['id']}"
    assert sent[0]["email"] == "ada@example.com" and sent[0]["customerId"] == str(customer["id"])
    props = sent[0]["additionalProperties"]
    assert props["orderId"] == str(order["id"]) and props["currency"] == "USD"
    assert props["amount"] == f"{float(order['total_inc_tax']):.2f}"
    assert LoyaltyEvent.objects.get(store=lc_store, event_type="order_refunded").state == LoyaltyEvent.State.SENT


def test_two_partial_refunds_are_two_events_each_with_the_total_refunded_so_far(lc_store, lc_merchant):
    order = _paid_order(lc_store)
    _refund(lc_store, order, amount="5.00")
    _refund(lc_store, order, amount="7.00")
    sent = _custom(lc_merchant, "order_partially_refunded")
    assert [e["additionalProperties"]["amount"] for e in sent] == ["5.00", "12.00"]
    assert len({e["deduplicationId"] for e in sent}) == 2


def test_cancellation_and_chargeback_are_each_sent_once(lc_store, lc_merchant):
    cancelled, disputed = _paid_order(lc_store), _paid_order(lc_store, email="bo@example.com")
    for order, status in ((cancelled, 5), (disputed, 13)):
        bc_world.set_order_status(lc_store.store_hash, order["id"], status)
        for _ in range(2):
            bc_world.fire_order_event(lc_store.store_hash, order["id"], scope="store/order/statusUpdated",
                                      previous_status_id=11)
    assert [e["additionalProperties"]["orderId"] for e in _custom(lc_merchant, "order_cancelled")] == [
        str(cancelled["id"])]
    assert [e["additionalProperties"]["orderId"] for e in _custom(lc_merchant, "order_chargeback")] == [
        str(disputed["id"])]


def test_reversal_events_switched_off_send_nothing(lc_store, lc_merchant):
    EarningSettings.objects.create(store=lc_store, reversals_enabled=False)
    _refund(lc_store, _paid_order(lc_store))
    assert _custom(lc_merchant, "order_refunded") == []
    assert LoyaltyEvent.objects.filter(store=lc_store).count() == 0


def test_a_friend_code_used_at_checkout_is_its_own_event(lc_store, lc_merchant):
    FriendCode.objects.create(store=lc_store, code="FRIEND-10", source="friendIncentive")
    order = _paid_order(lc_store, coupons=[{"code": "friend-10", "amount": "2.00"}])
    _paid_order(lc_store, email="plain@example.com")
    sent = _custom(lc_merchant, "referral_code_used")
    assert [(e["additionalProperties"]["orderId"], e["additionalProperties"]["couponCode"]) for e in sent] == [
        (str(order["id"]), "FRIEND-10")]


def test_a_newsletter_sign_up_earns_once_per_email(lc_store, lc_merchant):
    subscriber, responses = bc_world.subscribe_newsletter(lc_store.store_hash, email="Nia@Example.com")
    assert [r.status_code for r in responses] == [200]
    bc_world.deliver_webhook(lc_store.store_hash, scope="store/subscriber/created",
                             data={"type": "subscriber", "id": subscriber["id"]}, hash="resent")
    sent = _custom(lc_merchant, "newsletter_subscribed")
    assert len(sent) == 1 and sent[0]["email"] == "Nia@Example.com"
    assert sent[0]["deduplicationId"] == "newsletter_subscribed:nia@example.com"
    assert sent[0]["customerId"].startswith("guest-")
    counts = {row["event_type"]: row for row in earning_event_counts(store=lc_store)}
    assert counts["newsletter_subscribed"]["sent"] == 1 and counts["newsletter_subscribed"]["enabled"]


def test_newsletter_switched_off_sends_nothing(lc_store, lc_merchant):
    EarningSettings.objects.create(store=lc_store, newsletter_enabled=False)
    bc_world.subscribe_newsletter(lc_store.store_hash, email="nia@example.com")
    assert _custom(lc_merchant, "newsletter_subscribed") == []


def test_merchant_page_lists_the_events_and_only_the_owner_switches_them(client, installed_store, load_app):
    load_app()
    body = client.get("/app/events/").content.decode()
    assert "order_refunded" in body and "newsletter_subscribed" in body and "referral_code_used" in body
    assert client.post("/app/events/", {"newsletter_enabled": "on"}).status_code == 302
    settings = EarningSettings.objects.get(store=installed_store)
    assert settings.newsletter_enabled and not settings.reversals_enabled and not settings.code_use_enabled
    load_app(user_id=999, user_email="clerk@example.com")
    client.post("/app/events/", {"newsletter_enabled": "on", "reversals_enabled": "on"})
    assert not EarningSettings.objects.get(store=installed_store).reversals_enabled



def test_account_creation_is_switchable_and_counted_on_the_merchant_page(lc_store, lc_merchant):
    first = bc_world.create_customer(lc_store.store_hash, email="ann@example.com")
    bc_world.deliver_webhook(lc_store.store_hash, scope="store/customer/created",
                             data={"type": "customer", "id": first["id"]})
    assert len(fb_world.events(lc_merchant, "account-sign-up")) == 1
    counts = {row["event_type"]: row for row in earning_event_counts(store=lc_store)}
    assert counts["account-sign-up"]["sent"] == 1 and counts["account-sign-up"]["enabled"]
    assert counts["account-sign-up"]["switch"] == "sign_up_enabled"

    EarningSettings.objects.create(store=lc_store, sign_up_enabled=False)
    second = bc_world.create_customer(lc_store.store_hash, email="ben@example.com")
    bc_world.deliver_webhook(lc_store.store_hash, scope="store/customer/created",
                             data={"type": "customer", "id": second["id"]})
    assert [e["email"] for e in fb_world.events(lc_merchant, "account-sign-up")] == ["ann@example.com"]
    # The profile upsert is not an earning event: it still goes.
    assert {e["email"] for e in fb_world.events(lc_merchant, "customer")} == {"ann@example.com", "ben@example.com"}
    assert not {row["event_type"]: row for row in earning_event_counts(store=lc_store)}["account-sign-up"]["enabled"]


def test_merchant_page_shows_the_account_creation_switch(client, installed_store, load_app):
    load_app()
    body = client.get("/app/events/").content.decode()
    assert "account-sign-up" in body and 'name="sign_up_enabled"' in body
    client.post("/app/events/", {"newsletter_enabled": "on"})
    assert not EarningSettings.objects.get(store=installed_store).sign_up_enabled
    client.post("/app/events/", {"sign_up_enabled": "on"})
    assert EarningSettings.objects.get(store=installed_store).sign_up_enabled
