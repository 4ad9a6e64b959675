"""The support lookup: every key type finds the customer, ambiguity gives a list, and the file gathers
identities, orders with their attribution signals, outbox, webhooks, rewards, codes, fraud and callbacks
on one sorted timeline."""
from datetime import timedelta

import pytest

from referrals.models import ValidationCallback
from referrals.support.selectors import customer_file, support_search
from storefront.models import WebhookDelivery
from tests.factories import StoreFactory
from tests.fixtures_support import T0, Builder

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(build):
    """A friend (registered customer 501, gmail) whose order 2001 was referred and earned the advocate a code."""
    order = build.order(2001, email="Jane.Doe@gmail.com", customer_id=501, coupon_codes=[])
    build.attribution(order)
    build.purchase_event(order, referral_code="ADV-REF")
    build.reward("RW-1", order=order, state="redeemed", code="adv10off", redeemed_on=3001)
    build.assessment(order, decision="approve")
    WebhookDelivery.objects.create(store=build.store, scope="store/order/created", resource_id="2001", valid=True,
                                   status="processed")
    return order


def test_search_by_alias_email_finds_the_customer(history):
    matches = support_search(query="  janedoe+promo@GMAIL.com ")
    assert [m.bc_customer_id for m in matches] == [501]


@pytest.mark.parametrize("term", ["2001", "ADV10OFF", "adv10off", "501", "RW-1"])
def test_search_by_each_key_type(history, term):
    matches = support_search(query=term)
    assert matches, term
    assert any(m.store_id == history.store_id for m in matches)


def test_code_matches_the_code_recipient_and_the_order_it_was_used_on(history, build):
    build.order(3001, email="advocate@example.com", customer_id=900)
    labels = {m.bc_customer_id for m in support_search(query="adv10off")}
    assert labels == {900}


def test_same_email_in_two_stores_gives_a_disambiguation_list_unless_a_store_is_chosen(history):
    other = Builder(StoreFactory())
    other.order(7, email="jane.doe@gmail.com", customer_id=12)
    assert len(support_search(query="jane.doe@gmail.com")) == 2
    only = support_search(query="jane.doe@gmail.com", store_id=history.store_id)
    assert [m.store_id for m in only] == [history.store_id]


def test_unknown_term_finds_nothing(history):
    assert support_search(query="nobody@example.com") == []
    assert support_search(query="") == []


def test_file_gathers_every_section_and_the_order_signals(history):
    ValidationCallback.objects.create(store=history.store, delivery=_delivery(history.store), bc_order_id=2001,
                                      order_reference="2001", answer_status=200)
    f = customer_file(store_id=history.store_id, bc_customer_id=501)
    assert [i.bc_customer_id for i in f.identities] == [501]
    assert "Jane.Doe@gmail.com" in f.aliases
    signals = f.orders[0]
    assert signals.referral_code == "ADV-REF" and signals.attribution_id == "att-2001"
    assert signals.device_id == "dev-2001" and signals.order_link and signals.referred
    assert [e.natural_key for e in f.outbox] == ["purchase:2001"]
    assert [w.resource_id for w in f.webhooks] == ["2001"]
    assert [r.friendbuy_reward_id for r in f.rewards] == ["RW-1"]
    assert [c.code for c in f.codes] == ["ADV10OFF"]
    assert [a.reference for a in f.assessments] == ["2001"]
    assert [v.answer_status for v in f.validations] == [200]
    assert f.as_friend and f.as_friend[0]["order"] == 2001


def test_missing_signals_are_listed_as_missing(build):
    order = build.order(2002, email="walkin@example.com")
    f = customer_file(store_id=order.store_id, bc_order_id=2002)
    checklist = dict(f.orders[0].checklist)
    assert checklist["Attribution id"] == "" and checklist["Referral code"] == "" and checklist["Friend coupon"] == ""
    assert checklist["User agent"]


def test_timeline_is_one_sorted_list_of_typed_entries(history):
    f = customer_file(store_id=history.store_id, normalized_email="janedoe@gmail.com")
    kinds = {e.kind for e in f.timeline}
    assert {"order", "outbox", "reward", "code", "redemption", "fraud", "webhook", "capture"} <= kinds
    stamps = [e.at for e in f.timeline]
    assert stamps == sorted(stamps)


def test_admin_lookup_page_shows_one_page_per_customer(support_client, history):
    response = support_client.get("/admin/support/lookup/", {"q": "JaneDoe@gmail.com"}, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Diagnosis" in body and "ADV10OFF" in body and "purchase:2001" in body and "Timeline" in body


def test_admin_lookup_lists_matches_when_ambiguous(support_client, history):
    Builder(StoreFactory()).order(9, email="jane.doe@gmail.com", customer_id=77)
    body = support_client.get("/admin/support/lookup/", {"q": "jane.doe@gmail.com"}).content.decode()
    assert "2 people match" in body


def test_admin_index_links_to_the_lookup(support_client):
    body = support_client.get("/admin/").content.decode()
    assert "/admin/referrals/supportlookup/" in body
    assert support_client.get("/admin/referrals/supportlookup/")["Location"] == "/admin/support/lookup/"


def _delivery(store):
    from referrals.models import FriendbuyDelivery

    return FriendbuyDelivery.objects.create(store=store, kind="validation", public_id="x", valid=True,
                                            status="answered")


def test_lookup_ignores_other_stores_data(history):
    other = Builder(StoreFactory())
    other.order(2001, email="someone@example.com", customer_id=501, at=T0 + timedelta(days=1))
    f = customer_file(store_id=history.store_id, bc_customer_id=501)
    assert {s.order.store_id for s in f.orders} == {history.store_id}


def test_lookup_page_shows_each_finding_with_its_next_step_and_action_button(support_client, build):
    order = build.order(77, email="fred@example.com")
    build.attribution(order)
    event = build.purchase_event(order, state="dead", status=400, error="Invalid email")
    url = f"/admin/support/lookup/?store={build.store.pk}&order=77"
    body = support_client.get(url).content.decode()
    assert "The purchase event purchase:77 is dead-lettered after 12 attempts" in body
    assert "<strong>Next step:</strong> Fix the cause named in Friendbuy" in body
    assert f"/admin/support/action/resend_event/{event.pk}/" in body and "Resend the event to Friendbuy…" in body
