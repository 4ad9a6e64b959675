"""The demo tells a true story: Ada, who shares her link, is the advocate rewarded; her three friends' orders
carry the referral signals; and searching her email answers "where's my reward?" for each friend."""
import pytest

from referrals.models import AttributionCapture, OutboxEvent, Reward
from referrals.support.diagnosis import diagnose
from referrals.support.selectors import customer_file, support_search
from sandbox.demo.rewards import play_demo_rewards

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(transactional_db, support_store):
    return {"store": support_store, **play_demo_rewards(store=support_store)}


def _ada_file(story):
    matches = support_search(query="ada@example.com", store_id=story["store"].pk)
    assert len(matches) == 1, matches
    m = matches[0]
    return customer_file(store_id=story["store"].pk, identity_id=m.identity_id,
                         normalized_email=m.normalized_email, friendbuy_customer_id=m.friendbuy_customer_id)


def test_the_advocate_who_shares_is_the_one_rewarded(story):
    rewards = Reward.objects.filter(store=story["store"], recipient=Reward.Recipient.ADVOCATE)
    assert {r.email for r in rewards} == {"ada@example.com"}
    assert story["redeemed_reward_state"] == Reward.State.REDEEMED
    assert story["revoked_reward_state"] == Reward.State.REVOKED and story["revoked_code"]


def test_each_friends_purchase_carries_adas_referral_signals(story):
    for order_id in story["friend_orders"].values():
        payload = OutboxEvent.objects.get(store=story["store"], natural_key=f"purchase:{order_id}").payload
        assert payload["referralCode"] == "ada-shares" and payload["attributionId"]
        assert payload["couponCode"].startswith("FRIEND-") and payload["isNewCustomer"] is True
    # Ada spending her own reward code is no referral: nothing of hers is sent as one.
    own = OutboxEvent.objects.get(store=story["store"], natural_key=f"purchase:{story['redeemed_order_id']}")
    assert not own.payload.get("referralCode") and not own.payload.get("couponCode")


def test_searching_adas_email_answers_for_each_friend(story):
    findings = {f.referral: f for f in diagnose(_ada_file(story)) if f.role == "advocate"}
    orders = story["friend_orders"]
    frida = findings[f"as advocate, for frida@example.com (order {orders['frida']})"]
    assert frida.code == "all_good" and f"redeemed on order {story['redeemed_order_id']}" in frida.message
    flo = findings[f"as advocate, for flo@example.com (order {orders['flo']})"]
    assert flo.code == "code_revoked_after_refund" and f"because order {orders['flo']} was refunded" in flo.message
    finn = findings[f"as advocate, for finn@example.com (order {orders['finn']})"]
    assert finn.code == "awaiting_friendbuy"
    assert finn.message.startswith(f"Order {orders['finn']} was sent to Friendbuy as referred by referral code "
                                   "ada-shares on ")
    assert "Friendbuy has not rewarded the advocate yet" in finn.message
    assert len(findings) == 3  # one finding per friend: no "has not ordered" for friends who did


def test_her_own_order_with_her_reward_code_is_no_referral_in_her_file(story):
    f = _ada_file(story)
    own = next(s for s in f.orders if s.order.bc_order_id == story["redeemed_order_id"])
    assert not own.referred and not own.friend_coupon
    assert not [x for x in diagnose(f) if x.role == "friend"]


def test_her_referral_code_customer_id_and_name_open_the_same_file_as_her_email(story):
    store_id = story["store"].pk
    by_email = support_search(query="ada@example.com", store_id=store_id)[0].query
    ada = Reward.objects.filter(store=story["store"], recipient=Reward.Recipient.ADVOCATE).first().customer_id
    for term in ("ada-shares", ada, "Ada Advocate"):
        matches = [m for m in support_search(query=term, store_id=store_id) if "ada@" in m.label]
        assert [m.query for m in matches] == [by_email], (term, matches)


def test_her_referrals_table_has_one_row_per_friend_named_by_email(story):
    rows = _ada_file(story).as_advocate
    assert sorted(r["friend"] for r in rows) == ["finn@example.com", "flo@example.com", "frida@example.com"]
    assert {r["order"] for r in rows if r["friend"] != "finn@example.com"} == {
        story["friend_orders"]["frida"], story["friend_orders"]["flo"]}


def test_a_friends_file_names_the_advocate_by_email_and_counts_repeat_visits(story):
    store = story["store"]
    capture = AttributionCapture.objects.filter(store=store, email="finn@example.com").get()
    capture.pk = None
    capture.save()  # Finn reloaded the landing page
    m = support_search(query="finn@example.com", store_id=store.pk)[0]
    f = customer_file(store_id=store.pk, identity_id=m.identity_id, normalized_email=m.normalized_email,
                      friendbuy_customer_id=m.friendbuy_customer_id)
    visits = [r for r in f.as_friend if "visit" in r["via"]]
    assert [(r["advocate"], r["via"]) for r in visits] == [
        ("ada@example.com", "2 visits with referral ada-shares (signed by Friendbuy)")]


def test_her_file_reads_in_words_money_and_names_not_ids_and_dicts(story, support_client):
    page = support_client.get("/admin/support/lookup/", {"q": "ada@example.com"}, follow=True)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Ada Advocate &lt;ada@example.com&gt;" in html.split("<h2>Referrals")[0]
    assert "$10.00" in html and "10.00 USD" not in html and ".0000" not in html
    assert "{&#x27;" not in html  # no Friendbuy answer printed as a Python dict
    assert "No referral signal: an ordinary order." in html  # her own order is no red list of missing signals
