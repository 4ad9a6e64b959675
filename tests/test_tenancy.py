"""A merchant sees and changes only their own store: the session decides the store, never the request."""
import pytest
from django.test import Client

from referrals.models import FriendbuyConnection
from storefront.models import Store, StoreUser
from storefront.session import SESSION_STORE, SESSION_STORE_USER
from tests.factories import FriendbuyConnectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_stores(install_app):
    """Store A (installed by owner 1) and store B (installed by owner 2), each connected to Friendbuy."""
    browser_a, browser_b = Client(), Client()
    install_app("storea", user_id=1, user_email="a@example.com", http_client=browser_a)
    install_app("storeb", user_id=2, user_email="b@example.com", http_client=browser_b)
    store_a, store_b = Store.objects.get(store_hash="storea"), Store.objects.get(store_hash="storeb")
    FriendbuyConnectionFactory(store=store_a, merchant_id="aaaaaaaa-0000-4000-8000-000000000001")
    FriendbuyConnectionFactory(store=store_b, merchant_id="bbbbbbbb-0000-4000-8000-000000000002")
    return browser_a, browser_b, store_a, store_b


def test_store_a_page_never_shows_store_b(two_stores):
    browser_a, _, store_a, store_b = two_stores
    html = browser_a.get("/app/").content.decode()
    assert store_a.public_id in html and "aaaaaaaa-0000-4000-8000-000000000001" in html
    assert store_b.public_id not in html
    assert "storeb" not in html
    assert "bbbbbbbb-0000-4000-8000-000000000002" not in html
    assert "b@example.com" not in html


def test_session_naming_another_store_is_refused(two_stores):
    browser_a, _, _, store_b = two_stores
    session = browser_a.session
    session[SESSION_STORE] = store_b.pk
    session.save()

    response = browser_a.get("/app/")

    assert response.status_code == 401
    assert store_b.public_id not in response.content.decode()


def test_session_naming_another_stores_user_with_own_store_is_refused(two_stores):
    browser_a, _, store_a, store_b = two_stores
    session = browser_a.session
    session[SESSION_STORE_USER] = StoreUser.objects.get(store=store_b).pk
    session[SESSION_STORE] = store_a.pk
    session.save()
    assert browser_a.get("/app/").status_code == 401


def test_connect_from_store_a_changes_only_store_a(two_stores, friendbuy_merchant):
    browser_a, _, store_a, store_b = two_stores
    before_b = FriendbuyConnection.objects.filter(store=store_b).values().get()

    browser_a.post("/app/", {
        "action": "connect", "merchant_id": friendbuy_merchant.merchant_id,
        "api_key": friendbuy_merchant.api_key, "api_secret": friendbuy_merchant.api_secret,
        "webhook_secret": friendbuy_merchant.webhook_secret,
        # A forged field naming the other store is ignored: the store comes from the session.
        "store": store_b.pk, "store_hash": "storeb",
    })

    assert FriendbuyConnection.objects.get(store=store_a).merchant_id == friendbuy_merchant.merchant_id
    assert FriendbuyConnection.objects.filter(store=store_b).values().get() == before_b


def test_user_of_store_a_loading_store_b_gets_a_session_for_b_only_as_b_user(two_stores, load_app):
    # The same BigCommerce user id on another store is a different StoreUser; sessions don't mix.
    browser = Client()
    load_app("storeb", user_id=1, user_email="a@example.com", owner_id=2, owner_email="b@example.com",
             http_client=browser)
    html = browser.get("/app/").content.decode()
    _, _, store_a, store_b = two_stores
    assert store_b.public_id in html and store_a.public_id not in html
    assert StoreUser.objects.filter(bc_user_id=1).count() == 2
