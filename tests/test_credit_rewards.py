"""Credit and gift card rewards through Friendbuy's signed webhooks: store credit on the right registered
customer, a gift certificate for a guest (or a wait, with the reason), gift certificates with a code
derived from the reward, and reversal of every kind when the order behind it is refunded or cancelled."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from referrals.models import CreditSettings, Reward, RewardFulfilment, StoreCreditAccount, StoreCreditEntry
from referrals.orders.sync import order_sync
from referrals.rewards.issue import reward_issue
from referrals.support.selectors import customer_file
from sandbox.bigcommerce import world as bc
from sandbox.bigcommerce.models import FakeGiftCertificate
from sandbox.friendbuy import world as fb

pytestmark = pytest.mark.django_db(transaction=True)


def _customer(store, email="ada@example.com", credit="0"):
    customer = bc.create_customer(store.store_hash, email=email, first_name="Ada")
    bc.set_store_credit(store.store_hash, customer["id"], credit)
    return customer


def _paid_order(store, *, customer_id, email, price="60.00"):
    order = bc.create_order(store.store_hash, email=email, customer_id=customer_id, status_id=11,
                            products=[{"name": "Shirt", "price": price, "quantity": 1}])
    order_sync(store=store, order_id=order["id"])
    return order


def _credit(store, customer):
    return bc.store_credit(store.store_hash, customer["id"])


def test_credit_reward_is_deposited_once_on_the_registered_customer(friendbuy, reward_store):
    ada = _customer(reward_store, credit="5.00")
    item, answer = friendbuy.reward(amount="10.00", reward_type="credit", customer_id=str(ada["id"]))
    assert answer.status_code == 200
    friendbuy.webhook("advocateReward", [item])  # Friendbuy's retry of the same reward
    reward = Reward.objects.get()
    assert reward.state == Reward.State.ISSUED and reward.coupon is None
    assert _credit(reward_store, ada) == Decimal("15.00")
    assert reward.transitions.last().reason == f"Deposited 10.00 USD as store credit on customer {ada['id']}"
    entry = StoreCreditEntry.objects.get()
    assert (entry.state, entry.balance_before, entry.balance_after) == ("applied", Decimal("5.00"), Decimal("15.00"))
    assert reward_issue(reward_id=reward.pk).state == Reward.State.ISSUED
    assert _credit(reward_store, ada) == Decimal("15.00")


def test_the_customer_is_found_by_email_when_friendbuy_has_no_bigcommerce_id(friendbuy, reward_store):
    ada = _customer(reward_store)
    friendbuy.reward(amount="7.50", reward_type="credit", customer_id="guest-0123", email="ada@example.com")
    assert _credit(reward_store, ada) == Decimal("7.50")
    assert RewardFulfilment.objects.get().bc_customer_id == ada["id"]


def test_a_spend_before_the_deposit_is_kept(friendbuy, reward_store):
    ada = _customer(reward_store, credit="20.00")
    friendbuy.reward(amount="10.00", reward_type="credit", customer_id=str(ada["id"]))
    bc.order_paid_with_store_credit(reward_store.store_hash, customer_id=ada["id"], credit_amount="25.00")
    friendbuy.reward(amount="3.00", reward_type="credit", customer_id=str(ada["id"]))
    assert _credit(reward_store, ada) == Decimal("8.00")  # 20 + 10 - 25 + 3: the spend is not overwritten


def test_a_guest_gets_a_gift_certificate_for_credit_by_default(friendbuy, reward_store):
    friendbuy.reward(amount="10.00", reward_type="credit", customer_id="guest-abc", email="guest@example.com")
    reward = Reward.objects.get()
    fulfilment = reward.fulfilment
    assert reward.state == Reward.State.ISSUED and fulfilment.kind == RewardFulfilment.Kind.GIFT_CERTIFICATE
    certificate = bc.gift_certificate(reward_store.store_hash, fulfilment.gift_certificate_code)
    assert certificate["to_email"] == "guest@example.com" and certificate["amount"] == "10.0000"
    assert "guest" in reward.transitions.last().reason


def test_a_guest_waits_with_the_reason_when_the_merchant_says_so_then_is_credited_on_registering(
        friendbuy, reward_store):
    CreditSettings.objects.create(store=reward_store, guest_credit=CreditSettings.GuestCredit.WAIT)
    friendbuy.reward(amount="10.00", reward_type="credit", customer_id="guest-abc", email="gus@example.com")
    reward = Reward.objects.get()
    assert reward.state == Reward.State.APPROVED
    assert reward.fulfilment.state == "waiting" and "No BigCommerce account for gus@example.com" in reward.fulfilment.reason
    assert not FakeGiftCertificate.objects.exists()
    gus = _customer(reward_store, email="gus@example.com")
    reward_issue(reward_id=reward.pk)  # looked at again only after an hour
    assert _credit(reward_store, gus) == 0
    RewardFulfilment.objects.update(checked_at=timezone.now() - timedelta(hours=2))
    assert reward_issue(reward_id=reward.pk).state == Reward.State.ISSUED
    assert _credit(reward_store, gus) == Decimal("10.00")


def test_loyalty_redemptions_configured_as_credit_are_deposited(friendbuy, reward_store):
    CreditSettings.objects.create(store=reward_store, credit_reward_types=["credit", "ledger"])
    ada = _customer(reward_store)
    item = fb.reward_payload(email="ada@example.com", customer_id=str(ada["id"]), amount="4.00", reward_type="ledger")
    assert friendbuy.webhook("loyaltyReward", [item]).status_code == 200
    reward = Reward.objects.get()
    assert reward.recipient == Reward.Recipient.LOYALTY and reward.state == Reward.State.ISSUED
    assert _credit(reward_store, ada) == Decimal("4.00")


def test_gift_card_reward_gets_a_certificate_with_a_code_derived_from_the_reward_and_the_expiry_setting(
        friendbuy, reward_store):
    CreditSettings.objects.create(store=reward_store, gift_certificate_expiry_days=30)
    friendbuy.reward(amount="25.00", reward_type="giftCard", reward_id="rw-1")
    fulfilment = RewardFulfilment.objects.get()
    assert fulfilment.gift_certificate_code.startswith("GC-") and len(fulfilment.gift_certificate_code) == 20
    certificate = bc.gift_certificate(reward_store.store_hash, fulfilment.gift_certificate_code)
    expiry = timezone.now() + timedelta(days=30)
    assert abs(int(certificate["expiry_date"]) - expiry.timestamp()) < 60
    assert Reward.objects.get().state == Reward.State.ISSUED


def test_a_friendbuy_code_bank_code_becomes_the_certificate_code(friendbuy, reward_store):
    friendbuy.reward(amount="25.00", reward_type="giftCard", coupon_code="GIFT-BANK-0001")
    assert FakeGiftCertificate.objects.get().code == "GIFT-BANK-0001"


def test_a_retried_creation_is_recognised_instead_of_doubled(friendbuy, reward_store, monkeypatch):
    """The POST landed but its answer was lost: the retry finds the certificate by its code."""
    from storefront.bigcommerce import BigCommerceClient, BigCommerceServerError

    create = BigCommerceClient.create_gift_certificate

    def lost_answer(self, body):
        create(self, body)
        raise BigCommerceServerError("read timeout", retryable=True)

    monkeypatch.setattr(BigCommerceClient, "create_gift_certificate", lost_answer)
    friendbuy.reward(amount="25.00", reward_type="giftCard")  # the task's retries end in the same lost answer
    reward = Reward.objects.get()
    monkeypatch.setattr(BigCommerceClient, "create_gift_certificate", create)
    assert reward_issue(reward_id=reward.pk).state == Reward.State.ISSUED
    assert FakeGiftCertificate.objects.count() == 1
    assert reward.fulfilment.gift_certificate_id == FakeGiftCertificate.objects.get().pk


def test_refund_removes_the_store_credit(friendbuy, reward_store):
    ada = _customer(reward_store, credit="5.00")
    order = _paid_order(reward_store, customer_id=ada["id"], email="fred@example.com")
    friendbuy.reward(amount="10.00", reward_type="credit", customer_id=str(ada["id"]), orderId=str(order["id"]))
    bc.refund_order(reward_store.store_hash, order["id"])
    order_sync(store=reward_store, order_id=order["id"])
    reward = Reward.objects.get()
    assert reward.state == Reward.State.REVOKED and _credit(reward_store, ada) == Decimal("5.00")
    assert "removed 10.00 USD of store credit" in reward.transitions.last().reason
    assert reward.fulfilment.reversed_amount == 10 and reward.fulfilment.clawback_amount == 0


def test_spent_credit_is_removed_up_to_what_is_left_and_the_rest_is_a_clawback(friendbuy, reward_store):
    ada = _customer(reward_store)
    order = _paid_order(reward_store, customer_id=ada["id"], email="fred@example.com")
    friendbuy.reward(amount="10.00", reward_type="credit", customer_id=str(ada["id"]), orderId=str(order["id"]))
    bc.order_paid_with_store_credit(reward_store.store_hash, customer_id=ada["id"], credit_amount="7.00")
    bc.set_order_status(reward_store.store_hash, order["id"], 5)
    order_sync(store=reward_store, order_id=order["id"])
    reward = Reward.objects.get()
    assert _credit(reward_store, ada) == 0  # never below zero
    assert reward.state == Reward.State.CLAWBACK_FLAGGED
    assert (reward.fulfilment.reversed_amount, reward.fulfilment.clawback_amount) == (Decimal("3.00"), Decimal("7.00"))
    assert "7.00 USD already spent, recorded as a clawback" in reward.transitions.last().reason
    removal = StoreCreditEntry.objects.get(kind="removal")
    assert (removal.applied_amount, removal.shortfall) == (Decimal("3.00"), Decimal("7.00"))


def test_refund_disables_an_unspent_gift_certificate(friendbuy, reward_store):
    order = _paid_order(reward_store, customer_id=0, email="fred@example.com")
    friendbuy.reward(amount="25.00", reward_type="giftCard", orderId=str(order["id"]))
    bc.refund_order(reward_store.store_hash, order["id"])
    order_sync(store=reward_store, order_id=order["id"])
    reward = Reward.objects.get()
    assert reward.state == Reward.State.REVOKED
    certificate = FakeGiftCertificate.objects.get()
    assert certificate.data["status"] == "disabled"
    assert "disabled (25.00 unspent)" in reward.transitions.last().reason


def test_a_partly_spent_gift_certificate_is_disabled_and_the_spent_part_is_a_clawback(friendbuy, reward_store):
    order = _paid_order(reward_store, customer_id=0, email="fred@example.com")
    friendbuy.reward(amount="25.00", reward_type="giftCard", orderId=str(order["id"]))
    code = RewardFulfilment.objects.get().gift_certificate_code
    bc.order_paid_with_gift_certificate(reward_store.store_hash, code=code, amount="10.00", email="ada@example.com")
    bc.refund_order(reward_store.store_hash, order["id"])
    order_sync(store=reward_store, order_id=order["id"])
    reward = Reward.objects.get()
    assert reward.state == Reward.State.CLAWBACK_FLAGGED
    assert reward.fulfilment.clawback_amount == Decimal("10.00") and reward.fulfilment.reversed_amount == 15
    assert FakeGiftCertificate.objects.get().data["status"] == "disabled"


def test_a_credit_reward_in_another_currency_fails_with_the_reason(friendbuy, reward_store):
    ada = _customer(reward_store)
    friendbuy.reward(amount="10.00", reward_type="credit", reward_unit="EUR", customer_id=str(ada["id"]))
    fulfilment = RewardFulfilment.objects.get()
    assert fulfilment.state == "failed" and "store's currency USD" in fulfilment.reason
    assert _credit(reward_store, ada) == 0


def test_the_support_file_shows_the_deposit_its_reversal_and_the_clawback(friendbuy, reward_store, support_client):
    ada = _customer(reward_store)
    order = _paid_order(reward_store, customer_id=ada["id"], email="fred@example.com")
    friendbuy.reward(amount="10.00", reward_type="credit", customer_id=str(ada["id"]), orderId=str(order["id"]))
    bc.order_paid_with_store_credit(reward_store.store_hash, customer_id=ada["id"], credit_amount="7.00")
    bc.set_order_status(reward_store.store_hash, order["id"], 5)
    order_sync(store=reward_store, order_id=order["id"])
    file = customer_file(store_id=reward_store.pk, bc_customer_id=ada["id"])
    assert [f.state for f in file.fulfilments] == ["reversed"]
    assert [(e.kind, e.state) for e in file.credit_entries] == [("deposit", "applied"), ("removal", "applied")]
    credit_lines = [e.title for e in file.timeline if e.kind == "credit"]
    assert any("Store credit +10.00" in t for t in credit_lines) and any("Store credit -3.00" in t for t in credit_lines)
    page = support_client.get("/admin/support/lookup/", {"q": str(order["id"])}, follow=True).content.decode()
    assert "Store credit and gift certificates" in page and "<strong>7.00</strong>" in page
    assert "7.00 USD already spent, recorded as a clawback" in page


def test_an_operator_settles_a_held_entry_in_the_admin_and_it_is_written_again(friendbuy, reward_store, client,
                                                                                 django_user_model):
    ada = _customer(reward_store, credit="5.00")
    CreditSettings.objects.create(store=reward_store, credit_reward_types=[])
    friendbuy.reward(amount="10.00", reward_type="credit", customer_id=str(ada["id"]))
    reward = Reward.objects.get()
    account = StoreCreditAccount.objects.create(store=reward_store, bc_customer_id=ada["id"])
    entry = StoreCreditEntry.objects.create(store=reward_store, account=account, reward=reward, kind="deposit",
                                            amount=10, key=f"reward:{reward.friendbuy_reward_id}:deposit",
                                            state="held", balance_before=1, balance_after=11, detail="odd balance")
    RewardFulfilment.objects.create(store=reward_store, reward=reward, kind="store_credit", amount=10, currency="USD",
                                    bc_customer_id=ada["id"])
    CreditSettings.objects.update(credit_reward_types=["credit"])
    client.force_login(django_user_model.objects.create_superuser("op", "op@example.com", "pw"))
    url = "/admin/referrals/storecreditentry/"
    asked = client.post(url, {"action": "resolve_not_landed", "_selected_action": [entry.pk]})
    assert asked.status_code == 200 and b"reason" in asked.content
    client.post(url, {"action": "resolve_not_landed", "_selected_action": [entry.pk], "confirm": "yes",
                      "reason": "BigCommerce shows 5.00: our write never arrived"})
    entry.refresh_from_db()
    assert entry.state == "pending" and "never arrived" in entry.detail
    RewardFulfilment.objects.update(state="delivering")
    assert reward_issue(reward_id=reward.pk).state == Reward.State.ISSUED
    assert _credit(reward_store, ada) == Decimal("15.00")
