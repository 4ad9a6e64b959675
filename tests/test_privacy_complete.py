"""Erasure is complete: after erasing a shopper, no text or JSON column of any table holds her email (as
typed, an alias, or normalised), her names, her IPs, her street address, phone, user agent or device id.

The demo is played first (other shoppers, referrals, rewards, fraud), then one shopper goes through the
real journeys: she registers (sign-up sent), is captured on the storefront as a referred friend, orders
with the friend coupon and a shipping address (order re-fetched, purchase sent, fraud assessment), is
rewarded as an advocate (signed Friendbuy webhook, coupon minted), and support acts on her file. Then she
is erased, and every column of every table (tests/db_scan.py) is searched. Runs on PostgreSQL in CI.
"""
import uuid
from io import StringIO

import pytest
from django.core.management import call_command

from fraud.models import Assessment, Signal
from referrals.attribution.services import capture_record, order_link_record
from referrals.models import FriendbuyConnection, OrderSnapshot, OutboxEvent, Reward, StaffAuditLog
from sandbox.bigcommerce import world as bc
from sandbox.friendbuy import world as fb
from sandbox.friendbuy.models import FakeMerchant
from storefront.models import OutboundCall, Store
from storefront.selectors import store_public_urls
from tests.db_scan import scan_database
from tests.fixtures_storefront import sign_payload

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "Zenobia.Quill@gmail.com"
ALIAS = "zenobia.quill+deals@googlemail.com"
FIRST, LAST = "Zenobia", "Quillfeather"
IP, REGISTRATION_IP = "203.0.113.77", "203.0.113.78"
STREET, PHONE = "77 Lantern Row", "+1 555 017 7777"
USER_AGENT = "Mozilla/5.0 (ZenBook; rv:77.0) QuillBrowser/77.7"
DEVICE = str(uuid.uuid4())

NEEDLES = {
    "email": EMAIL, "alias": ALIAS, "normalised email": "zenobiaquill@gmail.com", "first name": FIRST,
    "last name": LAST, "IP": IP, "registration IP": REGISTRATION_IP, "street": STREET, "phone": PHONE,
    "user agent": USER_AGENT, "device id": DEVICE, "masked email (fraud evidence)": "Zeno…@gmail.com",
}


def _journeys(store: Store) -> dict:
    connection = FriendbuyConnection.objects.get(store=store)
    webhook_url = store_public_urls(store=store)["friendbuy_webhook_url"]
    address = {"first_name": FIRST, "last_name": LAST, "street_1": STREET, "street_2": "", "city": "Lampton",
               "state": "Oregon", "zip": "97001", "country": "United States", "country_iso2": "US",
               "phone": PHONE, "email": EMAIL}
    customer = bc.create_customer(store.store_hash, email=EMAIL, first_name=FIRST, last_name=LAST, phone=PHONE,
                                  registration_ip_address=REGISTRATION_IP)
    bc.deliver_webhook(store.store_hash, scope="store/customer/created", data={"type": "customer", "id": customer["id"]})
    # The storefront saw her arrive from a referral link (signed visitor status), then place the order.
    status = {"attributionId": str(uuid.uuid4()), "campaignId": "camp-zen", "referralCode": "adaref",
              "referralCodeBlocked": False, "isSelfReferral": False, "advocate": {"customerId": "4242"}}
    capture_record(store=store, device_id=DEVICE, cart_id="cart-zen",
                   visitor_status={"status": "success", "payload": status,
                                   "signature": sign_payload(status, connection.webhook_secret)},
                   friend_coupon="ZENFRIEND10", user_agent=USER_AGENT, ip_address=IP, customer_id=customer["id"],
                   email=EMAIL)
    fb.send_webhook(url=webhook_url, secret=connection.webhook_secret, type="emailCapture", data=[
        fb.email_capture_payload(email=ALIAS, name=f"{FIRST} {LAST}", advocate_email="ada@example.com",
                                 advocate_customer_id="4242", referral_code="adaref", coupon_code="ZENFRIEND10")])
    order = bc.create_order(store.store_hash, customer_id=customer["id"], email=EMAIL, status_id=11,
                            products=[{"name": "Demo Mug", "price": "40.00", "quantity": 1}],
                            coupons=[{"code": "ZENFRIEND10", "amount": "10.00"}], ip_address=IP,
                            cart_id="cart-zen", billing_address=address, shipping_address=address)
    order_link_record(store=store, order_id=order["id"], device_id=DEVICE, cart_id="cart-zen",
                      user_agent=USER_AGENT, ip_address=IP)
    bc.fire_order_event(store.store_hash, order["id"])
    # Later she refers someone herself and Friendbuy rewards her.
    fb.send_webhook(url=webhook_url, secret=connection.webhook_secret, type="advocateReward",
                    data=[fb.reward_payload(email=EMAIL, customer_id=str(customer["id"]), amount="15.00")])
    StaffAuditLog.objects.create(store=store, username="support", action="resend_purchase",
                                 target=f"{EMAIL} order {order['id']}", reason=f"{FIRST} {LAST} called us",
                                 result=StaffAuditLog.Result.OK, detail=f"Shopper {ALIAS} at {IP}")
    return {"customer": customer, "order": order}


@pytest.fixture
def shopper(db):
    call_command("demo", stdout=StringIO())
    store = Store.objects.get(store_hash="demostore")
    seeded = _journeys(store)
    return store, seeded


def test_the_journeys_leave_her_data_in_every_kind_of_place(shopper):
    """The seed reaches the tables erasure must cover (else the test below would prove little)."""
    store, seeded = shopper
    found = {f.table for f in scan_database(NEEDLES, case_insensitive=True)}
    assert {"referrals_customeridentity", "referrals_ordersnapshot", "referrals_outboxevent",
            "referrals_attributioncapture", "referrals_orderattributionlink", "referrals_reward",
            "referrals_friendbuydelivery", "referrals_staffauditlog", "storefront_outboundcall",
            "fraud_signal", "fraud_assessment"} <= found, found
    assert OutboxEvent.objects.filter(kind="purchase", order__bc_order_id=seeded["order"]["id"], state="sent").exists()
    assert Assessment.objects.filter(store=store, bc_order_id=seeded["order"]["id"]).exists()
    assert Reward.objects.filter(store=store, email=EMAIL).exists()


def test_after_erasure_no_column_of_any_table_holds_her_personal_data(shopper):
    store, seeded = shopper
    call_command("erase_customer", store.store_hash, "--email", EMAIL, "--yes", stdout=StringIO())

    findings = scan_database(NEEDLES, case_insensitive=True)
    assert not findings, "\n".join(map(str, findings))
    # What must stay: the order's totals and status, the fraud decision with its hashed signals.
    snapshot = OrderSnapshot.objects.get(store=store, bc_order_id=seeded["order"]["id"])
    assert snapshot.erased_at is not None and snapshot.total_inc_tax > 0 and snapshot.status_id == 11
    assessment = Assessment.objects.get(store=store, bc_order_id=seeded["order"]["id"])
    assert assessment.decision and assessment.hits is not None
    assert Signal.objects.filter(store=store, subject_id=str(seeded["order"]["id"]), kind="shipping_address").exists()
    # The erasure request reached Friendbuy, and its own call log row doesn't name her.
    assert OutboundCall.objects.filter(service="friendbuy", path__startswith="/user-data", method="DELETE").exists()
    merchant = FakeMerchant.objects.get(merchant_id=FriendbuyConnection.objects.get(store=store).merchant_id)
    asked = {(d["customerId"], d["email"].lower()) for d in fb.deletions(merchant)}
    assert {(str(seeded["customer"]["id"]), ""), ("", EMAIL.lower()), ("", ALIAS)} <= asked
    # Other shoppers are untouched.
    assert OrderSnapshot.objects.filter(store=store, email="guest.shopper@example.com").exists()
