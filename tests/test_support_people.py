"""The advocate is found even if she never ordered, by every route (email, referral code, customer id,
name, friend code, reward id), and every route opens the same file: one person, one file. Built through
the sandbox: Friendbuy's signed emailCapture and reward webhooks, the BigCommerce customer record."""
import pytest

from referrals.models import FriendbuyConnection
from referrals.orders.customers import customer_sync
from referrals.support.selectors import customer_file, support_search
from sandbox.bigcommerce import world as bc
from sandbox.friendbuy import world as fb
from storefront.selectors import store_public_urls

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(support_store, django_capture_on_commit_callbacks):
    """Ada shares her link (code 33e6c7ff), Fred lands and gets a friend code, Ada is rewarded $10."""
    store = support_store
    secret = FriendbuyConnection.objects.get(store=store).webhook_secret
    url = store_public_urls(store=store)["friendbuy_webhook_url"]
    advocate = bc.create_customer(store.store_hash, email="ada@example.com", first_name="Ada", last_name="Lovelace")
    with django_capture_on_commit_callbacks(execute=True):
        fb.send_webhook(url=url, secret=secret, type="emailCapture", data=[fb.email_capture_payload(
            email="fred@example.com", referral_code="33e6c7ff", advocate_email="ada@example.com",
            advocate_customer_id=str(advocate["id"]), coupon_code="FRIEND-ADA123")])
        reward = fb.reward_payload(email="ada@example.com", customer_id=str(advocate["id"]), amount="10.00")
        fb.send_webhook(url=url, secret=secret, type="advocateReward", data=[reward])
    return {"store": store, "customer_id": advocate["id"], "reward_id": reward["rewardId"]}


def _ada_matches(ada, term):
    return [m for m in support_search(query=term, store_id=ada["store"].pk) if "fred" not in m.label]


@pytest.mark.parametrize("route", ["email", "alias", "referral_code", "customer_id", "reward_id", "friend_code"])
def test_the_advocate_who_never_ordered_is_found_by_every_route(ada, route):
    term = {"email": "ada@example.com", "alias": "ADA@Example.com", "referral_code": "33E6C7FF",
            "customer_id": str(ada["customer_id"]), "reward_id": ada["reward_id"], "friend_code": "friend-ada123"}[route]
    matches = _ada_matches(ada, term)
    assert len(matches) == 1, (term, matches)
    f = customer_file(store_id=ada["store"].pk, identity_id=matches[0].identity_id,
                      normalized_email=matches[0].normalized_email,
                      friendbuy_customer_id=matches[0].friendbuy_customer_id)
    assert "ada@example.com" in f.aliases and str(ada["customer_id"]) in f.friendbuy_ids
    assert [r.friendbuy_reward_id for r in f.rewards] == [ada["reward_id"]]
    assert [c.code for c in f.friend_codes] == ["FRIEND-ADA123"]


def test_every_route_opens_the_same_file(ada):
    routes = ["ada@example.com", "33e6c7ff", str(ada["customer_id"]), ada["reward_id"]]
    assert len({_ada_matches(ada, term)[0].query for term in routes}) == 1


def test_a_friend_code_finds_both_the_friend_and_the_advocate(ada):
    labels = sorted(m.why for m in support_search(query="FRIEND-ADA123", store_id=ada["store"].pk))
    assert labels == ["friend code FRIEND-ADA123 was given to them", "the advocate behind friend code FRIEND-ADA123"]


def test_once_her_customer_record_is_known_she_is_found_by_name_and_still_one_file(ada):
    customer_sync(store=ada["store"], customer_id=ada["customer_id"], signed_up=False)
    by_name = _ada_matches(ada, "Ada Lovelace")
    assert [m.label for m in by_name] == ["Ada Lovelace <ada@example.com>"]
    assert _ada_matches(ada, "ada")[0].query == by_name[0].query == _ada_matches(ada, "33e6c7ff")[0].query


def test_admin_lookup_opens_the_advocates_file_from_her_referral_code(ada, support_client):
    page = support_client.get("/admin/support/lookup/", {"q": "33e6c7ff"}, follow=True)
    body = page.content.decode()
    assert page.status_code == 200 and "ada@example.com" in body and ada["reward_id"] in body


def test_an_empty_search_says_what_to_type(support_client):
    body = support_client.get("/admin/support/lookup/", {"q": "  "}).content.decode()
    assert "Type something to look up" in body
