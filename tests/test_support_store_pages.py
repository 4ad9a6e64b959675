"""The store's own support pages (/app/support/…): the owner searches, reads the file and acts; a store user
without a grant gets a 403 with the clear message; a view-only user reads but every post is refused and
audited; the owner grants roles on the team page. And isolation: a store user of store A never reads or
acts on store B's data through any URL, list, filter, search, the CSV export or an action target."""

import csv
import html as html_lib
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from fraud.models import Assessment
from referrals.models import (
    FriendbuyDelivery,
    ManualAttribution,
    OutboxEvent,
    Reward,
    StaffAuditLog,
    SupportGrant,
)
from referrals.support.store_access import NO_ACT_MESSAGE, NO_VIEW_MESSAGE
from referrals.support.targets import ACTIONS
from sandbox.friendbuy import world as fb_world
from storefront.models import WebhookDelivery
from storefront.session import SESSION_INSTALL, SESSION_STORE, SESSION_STORE_USER
from tests.factories import StoreFactory, StoreUserFactory
from tests.fixtures_support import Builder

pytestmark = pytest.mark.django_db

STORE_URLS = ["/app/support/", "/app/support/?q=friend@a.example", "/app/support/reviews/", "/app/support/rewards/",
              "/app/support/rewards/?format=csv", "/app/support/team/", "/app/support/advocates/?q=adv"]


def app_client(store_user) -> Client:
    """A browser holding the app session the control panel's /load would have started for this user."""
    client = Client()
    session = client.session
    session[SESSION_STORE_USER] = store_user.pk
    session[SESSION_STORE] = store_user.store_id
    session[SESSION_INSTALL] = store_user.store.installed_at.isoformat()
    session.save()
    return client


def _grant(store, role: str):
    user = StoreUserFactory(store=store)
    if role != "none":
        SupportGrant.objects.create(store=store, store_user=user, role=role, granted_by="owner@example.com")
    return user


def _history(build: Builder, *, email: str, code: str, reward_id: str, order_id: int = 101) -> dict:
    """One friend's referred order with a dead purchase event, a held assessment, an issued and a pending
    reward, a failed webhook: a target for every support action."""
    order = build.order(order_id, email=email, customer_id=order_id + 5000)
    build.attribution(order)
    event = build.purchase_event(order, state="dead", status=503, error="Friendbuy down")
    issued = build.reward(reward_id, state="issued", code=code, email=f"adv.{email}", order=order)
    pending = build.reward(f"{reward_id}-P", state="pending", email=f"adv.{email}", order=order)
    held = build.assessment(order, decision="hold")
    hook = WebhookDelivery.objects.create(store=build.store, scope="store/order/created", resource_id=str(order_id),
                                          valid=True, status="failed", body=f'{{"data": {{"id": {order_id}}}}}')
    return {"order": order, "event": event, "issued": issued, "pending": pending, "held": held, "hook": hook}


@pytest.fixture
def store_a(build):
    owner = StoreUserFactory(store=build.store, is_owner=True, email="owner@a.example")
    return {"store": build.store, "owner": owner,
            **_history(build, email="friend@a.example", code="ACODE1", reward_id="fb-a-1")}


@pytest.fixture
def store_b(db):
    """Another store with the same order number (101) as store A, so only the store tells them apart."""
    store = StoreFactory(store_hash="bbbstore")
    owner = StoreUserFactory(store=store, is_owner=True, email="owner@bbb.example")
    clerk = StoreUserFactory(store=store, email="clerk@bbb.example")
    history = _history(Builder(store), email="bea@bbb.example", code="BCODE1", reward_id="fb-b-1")
    friendbuy = FriendbuyDelivery.objects.create(store=store, kind="webhook", public_id="pb", valid=True, body="{}",
                                                 event_type="rewardEarned")
    return {"store": store, "owner": owner, "clerk": clerk, "friendbuy": friendbuy, **history}


B_MARKERS = ("bea@bbb.example", "BCODE1", "fb-b-1", "bbbstore", "clerk@bbb.example", "owner@bbb.example")


def _no_b(body: bytes | str, *, echoed: str = "") -> None:
    """None of store B's markers on the page (except the search term the page echoes back)."""
    text = (body.decode() if isinstance(body, bytes) else body).lower()
    if echoed:
        text = text.replace(echoed.lower(), "")
    leaked = [m for m in B_MARKERS if m.lower() in text.lower()]
    assert not leaked, f"store B's data on store A's page: {leaked}"


# --- the owner ------------------------------------------------------------------------------------------------


def test_owner_searches_reads_the_file_with_the_diagnosis_first_and_its_actions(store_a):
    client = app_client(store_a["owner"])
    response = client.get("/app/support/", {"q": "friend@a.example"}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index('class="diagnosis"') < html.index("Orders and their attribution signals")
    assert "friend@a.example" in html.split("Referrals")[0]  # the file is headed by the person, not an id
    event = store_a["event"]
    assert f"/app/support/action/resend_event/{event.pk}/" in html
    assert "/admin/" not in html  # every link stays on the store's pages


def test_owner_resends_a_dead_event_from_the_store_page_and_it_is_audited(store_a, support_merchant):
    client = app_client(store_a["owner"])
    event = store_a["event"]
    url = f"/app/support/action/resend_event/{event.pk}/"
    page = client.get(url, {"back": "/app/support/?order=101"})
    assert page.status_code == 200 and "Resend the event to Friendbuy" in page.content.decode()

    response = client.post(url, {"reason": "Friendbuy is back", "back": "/app/support/?order=101"})

    assert response.status_code == 302 and response["Location"] == "/app/support/?order=101"
    event.refresh_from_db()
    assert event.state == OutboxEvent.State.SENT
    assert [p["orderId"] for p in fb_world.events(support_merchant, "purchase")] == ["101"]
    entry = StaffAuditLog.objects.get(action="resend_event")
    assert (entry.result, entry.store_id, entry.username) == ("ok", store_a["store"].pk, "owner@a.example (store user)")


def test_an_action_back_link_never_leaves_the_support_pages(store_a):
    client = app_client(store_a["owner"])
    url = f"/app/support/action/resend_event/{store_a['event'].pk}/"
    for back in ("https://evil.example/x", "//evil.example/x", "/admin/"):
        assert client.post(url, {"reason": "r", "back": back})["Location"] == "/app/support/"


def test_a_reason_is_required_to_act(store_a):
    client = app_client(store_a["owner"])
    response = client.post(f"/app/support/action/resend_event/{store_a['event'].pk}/", {"reason": ""})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert not StaffAuditLog.objects.exists()


def test_owner_approves_a_held_item_from_the_review_queue(store_a):
    client = app_client(store_a["owner"])
    held = store_a["held"]
    page = client.get("/app/support/reviews/").content.decode()
    assert f'id="assessment-{held.pk}"' in page and "203.0.113.9" in page

    response = client.post(f"/app/support/reviews/{held.pk}/", {"decision": "approve", "reason": "Same household"})

    assert response.status_code == 302
    held.refresh_from_db()
    assert held.decision == "approve" and "owner@a.example" in held.decided_by
    assert StaffAuditLog.objects.get(action="approve_assessment").result == "ok"


def test_a_rejection_in_the_file_opens_that_item_on_the_store_review_page_to_overturn(store_a):
    a = store_a
    old = Builder(a["store"]).order(102, email="friend@a.example", customer_id=5101)
    Builder(a["store"]).attribution(old)
    rejected = Builder(a["store"]).assessment(old, decision="reject", rule="self_referral")
    Assessment.objects.filter(pk=rejected.pk).update(created_at=timezone.now() - timedelta(days=60))
    client = app_client(a["owner"])
    file = client.get("/app/support/", {"order": 102}).content.decode()
    assert f"/app/support/reviews/?assessment={rejected.pk}#opened-{rejected.pk}" in file

    page = client.get("/app/support/reviews/", {"assessment": rejected.pk}).content.decode()

    assert "The item you opened" in page and f'id="opened-{rejected.pk}"' in page
    assert f'action="/app/support/reviews/{rejected.pk}/"' in page and "Overturn: approve" in page
    assert f'id="rejected-{rejected.pk}"' not in page  # older than the 14-day list


def test_rewards_list_filters_by_state_and_exports_the_same_rows(store_a):
    client = app_client(store_a["owner"])
    every = client.get("/app/support/rewards/").content.decode()
    assert "fb-a-1" in every and "fb-a-1-P" in every and "$10.00" in every
    pending = client.get("/app/support/rewards/", {"state": "pending"}).content.decode()
    assert "fb-a-1-P" in pending and "ACODE1" not in pending

    export = client.get("/app/support/rewards/", {"state": "issued", "format": "csv"})

    assert export["Content-Type"].startswith("text/csv") and "attachment" in export["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[0][:3] == ["created_at", "friendbuy_reward_id", "recipient"]
    assert [r[1] for r in rows[1:]] == ["fb-a-1"] and rows[1][9] == "ACODE1"


def test_an_unknown_state_filter_shows_every_reward(store_a):
    html = app_client(store_a["owner"]).get("/app/support/rewards/", {"state": "nonsense"}).content.decode()
    assert "fb-a-1" in html and "fb-a-1-P" in html


def test_an_empty_search_says_what_to_type(store_a):
    html = app_client(store_a["owner"]).get("/app/support/", {"q": ""}).content.decode()
    assert "Type something to look up" in html


def test_the_merchant_nav_has_a_support_entry(store_a):
    client = app_client(store_a["owner"])
    for url in ("/app/", "/app/setup/", "/app/settings/", "/app/reports/", "/app/events/", "/app/support/"):
        assert 'href="/app/support/"' in client.get(url).content.decode(), url


def test_every_merchant_page_has_one_header_with_the_store_name_the_user_and_their_role(store_a):
    store = store_a["store"]
    store.name = "Harbour Coffee"
    store.save(update_fields=["name"])
    client = app_client(store_a["owner"])
    for url in ("/app/", "/app/setup/", "/app/settings/", "/app/reports/", "/app/events/"):
        header = client.get(url).content.decode().split("</header>")[0]
        assert "<strong>Harbour Coffee</strong> · owner@a.example" in header and "Store owner" in header, url
    header = client.get("/app/support/").content.decode().split("</header>")[0]
    assert "<strong>Harbour Coffee</strong>" in header and "Support: " in header


# --- roles ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", STORE_URLS)
def test_a_store_user_without_a_grant_gets_403_with_the_clear_message(store_a, url):
    response = app_client(_grant(store_a["store"], "none")).get(url)
    assert response.status_code == 403
    assert NO_VIEW_MESSAGE in html_lib.unescape(response.content.decode())
    assert "friend@a.example" not in response.content.decode()


def test_a_post_without_a_grant_is_refused_and_audited(store_a):
    clerk = _grant(store_a["store"], "none")
    response = app_client(clerk).post(f"/app/support/action/resend_event/{store_a['event'].pk}/", {"reason": "hi"})
    assert response.status_code == 403
    entry = StaffAuditLog.objects.get()
    assert entry.result == "refused" and entry.store_id == store_a["store"].pk and "(store user)" in entry.username
    assert entry.action == "resend_event" and entry.reason == "hi"
    store_a["event"].refresh_from_db()
    assert store_a["event"].state == "dead"


def test_the_app_session_is_still_required(store_a):
    response = Client().get("/app/support/")
    assert response.status_code == 401


def test_view_only_reads_every_page_but_sees_no_action(store_a):
    client = app_client(_grant(store_a["store"], "view"))
    for url in STORE_URLS:
        assert client.get(url, follow=True).status_code == 200, url
    html = client.get("/app/support/", {"q": "friend@a.example"}, follow=True).content.decode()
    assert "friend@a.example" in html and "/app/support/action/" not in html and "view only" in html
    assert "<form method=\"post\"" not in client.get("/app/support/reviews/").content.decode()


def test_view_only_is_refused_every_post_with_the_act_message_and_audited(store_a):
    clerk = _grant(store_a["store"], "view")
    client = app_client(clerk)
    a = store_a
    posts = [f"/app/support/action/{name}/{target}/" for name, target in (
        ("resend_event", a["event"].pk), ("revoke_code", a["issued"].pk), ("approve_reward", a["pending"].pk),
        ("link_order", a["order"].pk))]
    posts += [f"/app/support/reviews/{a['held'].pk}/", "/app/support/team/"]
    for url in posts:
        response = client.post(url, {"reason": "let me", "decision": "approve", "store_user_id": clerk.pk,
                                     "role": "act", "advocate": "adv.friend@a.example"})
        assert response.status_code == 403, url
        assert NO_ACT_MESSAGE in html_lib.unescape(response.content.decode())
    assert client.get(f"/app/support/action/resend_event/{a['event'].pk}/").status_code == 403
    assert sorted(StaffAuditLog.objects.filter(result="refused").values_list("action", flat=True)) == sorted(
        ["resend_event", "revoke_code", "approve_reward", "link_order", "decide_assessment",
         "support_grant"])
    a["event"].refresh_from_db()
    a["held"].refresh_from_db()
    a["issued"].refresh_from_db()
    assert (a["event"].state, a["held"].decision, a["issued"].state) == ("dead", "hold", "issued")
    assert SupportGrant.objects.get(store_user=clerk).role == "view"


def test_owner_grants_a_role_on_the_team_page_and_the_user_can_then_act(store_a):
    clerk = _grant(store_a["store"], "none")
    owner = app_client(store_a["owner"])
    assert clerk.email in owner.get("/app/support/team/").content.decode()

    response = owner.post("/app/support/team/", {"store_user_id": clerk.pk, "role": "act"})

    assert response.status_code == 302
    assert SupportGrant.objects.get(store_user=clerk).role == "act"
    assert StaffAuditLog.objects.get(action="support_grant").result == "ok"
    held = store_a["held"]
    assert app_client(clerk).post(f"/app/support/reviews/{held.pk}/",
                                  {"decision": "reject", "reason": "Fake"}).status_code == 302
    held.refresh_from_db()
    assert held.decision == "reject"


def test_an_act_user_who_is_not_the_owner_cannot_grant(store_a):
    clerk = _grant(store_a["store"], "act")
    other = _grant(store_a["store"], "none")
    response = app_client(clerk).post("/app/support/team/", {"store_user_id": other.pk, "role": "act"})
    assert response.status_code == 403
    assert not SupportGrant.objects.filter(store_user=other).exists()
    assert StaffAuditLog.objects.get(action="support_grant").result == "refused"


# --- isolation: store A never reaches store B -----------------------------------------------------------------


@pytest.mark.parametrize("term", ["bea@bbb.example", "bea+x@bbb.example", "adv.bea@bbb.example", "BCODE1", "fb-b-1",
                                  "fb-b-1-P"])
def test_store_a_searches_for_store_b_terms_find_nothing(store_a, store_b, term):
    response = app_client(store_a["owner"]).get("/app/support/", {"q": term}, follow=True)
    assert response.status_code == 200
    assert "Nothing matches" in response.content.decode()
    _no_b(response.content, echoed=term)


@pytest.mark.parametrize("term", ["101", "5101", "ADV-REF", "900"])
def test_store_a_searches_for_values_both_stores_hold_find_only_store_a(store_a, store_b, term):
    """Order 101, customer 5101, referral code ADV-REF and advocate 900 exist in both stores."""
    response = app_client(store_a["owner"]).get("/app/support/", {"q": term}, follow=True)
    assert response.status_code == 200 and "Nothing matches" not in response.content.decode()
    _no_b(response.content)


def test_file_keys_of_store_b_open_nothing_from_store_a(store_a, store_b):
    b = store_b
    order = b["order"]
    client = app_client(store_a["owner"])
    for params in ({"store": b["store"].pk, "email": "bea@bbb.example"}, {"identity": order.identity_id},
                   {"store": b["store"].pk, "identity": order.identity_id}, {"customer": order.customer_id},
                   {"fb": str(order.customer_id)}, {"email": "adv.bea@bbb.example"}):
        response = client.get("/app/support/", params)
        assert response.status_code == 200, params
        _no_b(response.content)


@pytest.mark.parametrize("url", ["/app/support/reviews/", "/app/support/rewards/", "/app/support/team/",
                                 *[f"/app/support/rewards/?state={s}" for s in Reward.State.values],
                                 "/app/support/rewards/?format=csv",
                                 *[f"/app/support/rewards/?format=csv&state={s}" for s in ("issued", "pending")]])
def test_store_a_lists_filters_and_export_never_show_store_b(store_a, store_b, url):
    response = app_client(store_a["owner"]).get(url)
    assert response.status_code == 200
    _no_b(response.content)


def _b_targets(b) -> dict[str, int]:
    return {"resend_event": b["event"].pk, "replay_webhook": b["hook"].pk, "replay_friendbuy": b["friendbuy"].pk,
            "reissue_code": b["issued"].pk, "revoke_code": b["issued"].pk, "revoke_coupon": b["issued"].coupon_id,
            "approve_reward": b["pending"].pk, "reject_reward": b["pending"].pk, "link_order": b["order"].pk}


def test_every_action_on_a_store_b_row_from_store_a_is_refused_and_audited(store_a, store_b):
    targets = _b_targets(store_b)
    assert set(targets) == set(ACTIONS), "give the new support action a store B target above"
    client = app_client(store_a["owner"])
    for name, target in targets.items():
        url = f"/app/support/action/{name}/{target}/"
        page = client.get(url)
        assert page.status_code == 404, url
        _no_b(page.content)
        response = client.post(url, {"reason": "mine?", "advocate": "adv.bea@bbb.example"})
        assert response.status_code == 404, url
    refused = StaffAuditLog.objects.filter(result="refused")
    assert refused.count() == len(targets) and {e.store_id for e in refused} == {store_a["store"].pk}
    assert not StaffAuditLog.objects.exclude(result="refused").exists()
    b = store_b
    for row in (b["event"], b["issued"], b["pending"], b["hook"], b["order"]):
        row.refresh_from_db()
    assert (b["event"].state, b["issued"].state, b["pending"].state, b["hook"].attempts) == (
        "dead", "issued", "pending", 0)
    assert not ManualAttribution.objects.exists()


def test_store_a_review_page_never_opens_a_store_b_item(store_a, store_b):
    response = app_client(store_a["owner"]).get("/app/support/reviews/", {"assessment": store_b["held"].pk})
    assert response.status_code == 200 and "The item you opened" not in response.content.decode()
    _no_b(response.content)


def test_store_a_cannot_decide_store_b_review_or_grant_store_b_users(store_a, store_b):
    client = app_client(store_a["owner"])
    held = store_b["held"]
    assert client.post(f"/app/support/reviews/{held.pk}/", {"decision": "approve", "reason": "x"}).status_code == 404
    held.refresh_from_db()
    assert held.decision == "hold" and not held.decisions.exists()
    assert client.post("/app/support/team/", {"store_user_id": store_b["clerk"].pk, "role": "act"}).status_code == 404
    assert not SupportGrant.objects.exists()


@pytest.mark.parametrize("term", ["adv.bea@bbb.example", "bea@bbb.example", "fb-b-1", "BCODE1"])
def test_store_a_advocate_picker_never_suggests_store_b_people(store_a, store_b, term):
    response = app_client(store_a["owner"]).get("/app/support/advocates/", {"q": term})
    assert response.status_code == 200 and response.json() == {"results": []}


def test_the_advocate_picker_suggests_this_stores_advocate(store_a, store_b):
    results = app_client(store_a["owner"]).get("/app/support/advocates/", {"q": "adv.friend@a.example"}).json()
    assert [r["value"] for r in results["results"]] == ["adv.friend@a.example"]
    page = app_client(store_a["owner"]).get(f"/app/support/action/link_order/{store_a['order'].pk}/").content.decode()
    assert 'data-suggest="/app/support/advocates/"' in page and 'list="advocate-options"' in page


def test_store_b_owner_sees_store_b_only(store_a, store_b):
    """The same pages, the other way round: B's owner sees B's rows and none of A's."""
    client = app_client(store_b["owner"])
    html = client.get("/app/support/rewards/").content.decode() + client.get("/app/support/reviews/").content.decode()
    assert "fb-b-1" in html and "fb-a-1" not in html and "friend@a.example" not in html
