"""Single-click install and the control-panel lifecycle, through the real callback URLs and the fake
BigCommerce: install, re-install, multi-user load, remove-user, uninstall."""
import pytest
from django.db import connection
from django.test import Client

from referrals.models import FriendbuyConnection
from sandbox.bigcommerce.models import FakeStore
from sandbox.faults import inject
from storefront.models import OutboundCall, Store, StoreUser
from tests.factories import FriendbuyConnectionFactory
from tests.fixtures_install import ACCOUNT_UUID, OWNER_EMAIL, OWNER_ID, STORE_HASH

pytestmark = pytest.mark.django_db


def _raw_access_token(store_hash: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT access_token FROM {Store._meta.db_table} WHERE store_hash = %s", [store_hash])
        return cursor.fetchone()[0]


def test_install_exchanges_code_and_stores_token_encrypted_with_owner_and_installer(client, install_app):
    response = install_app(user_id=42, user_email="staff@example.com",
                           owner_id=OWNER_ID, owner_email=OWNER_EMAIL)

    assert response.status_code == 302
    assert response["Location"] == "/app/"
    store = Store.objects.get(store_hash=STORE_HASH)
    issued_token = FakeStore.objects.get(store_hash=STORE_HASH).access_token
    assert store.access_token == issued_token
    raw = _raw_access_token(STORE_HASH)
    assert raw and raw != issued_token and issued_token not in raw
    assert store.status == Store.Status.INSTALLED and store.installed_at is not None
    assert "store_v2_orders_read_only" in store.scopes.split()
    assert store.account_uuid == ACCOUNT_UUID
    assert (store.owner_bc_user_id, store.owner_email) == (OWNER_ID, OWNER_EMAIL)
    users = {u.bc_user_id: u for u in StoreUser.objects.filter(store=store)}
    assert set(users) == {OWNER_ID, 42}
    assert users[OWNER_ID].is_owner and not users[42].is_owner
    assert users[42].email == "staff@example.com"


def test_install_sends_the_registered_redirect_uri_and_logs_the_exchange_redacted(install_app):
    install_app()
    call = OutboundCall.objects.get(path="/oauth2/token")
    assert call.status == 200
    assert call.request_body["redirect_uri"] == "https://app.example.test/bigcommerce/auth"
    assert call.request_body["client_secret"] != "test-client-secret"
    assert call.response_body["access_token"] != FakeStore.objects.get(store_hash=STORE_HASH).access_token


def test_install_lands_the_merchant_on_the_app_page_inside_the_iframe(client, install_app):
    response = install_app(follow=True)
    assert response.status_code == 200
    assert b"Connect Friendbuy" in response.content
    assert STORE_HASH.encode() in response.content
    assert "frame-ancestors" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response


def test_refused_code_shows_error_page_and_writes_nothing(client, db):
    response = client.get("/bigcommerce/auth", {"code": "never-issued", "scope": "store_v2_orders",
                                                  "context": f"stores/{STORE_HASH}"})
    assert response.status_code == 400
    assert b"BigCommerce refused the install code" in response.content
    assert "frame-ancestors" in response["Content-Security-Policy"]
    assert Store.objects.count() == 0 and StoreUser.objects.count() == 0
    assert "storefront_store_user_id" not in client.session


def test_bigcommerce_down_during_exchange_is_a_502_and_writes_nothing(client, install_app):
    inject(service="bigcommerce", status=503, times=10, path_contains="/oauth2/token")
    response = install_app()
    assert response.status_code == 502
    assert b"could not be reached" in response.content
    assert Store.objects.count() == 0 and StoreUser.objects.count() == 0


@pytest.mark.parametrize("params", [
    {},
    {"scope": "store_v2_orders", "context": "stores/abc123"},
    {"code": "x", "context": "stores/abc123"},
    {"code": "x", "scope": "store_v2_orders"},
    {"code": "x", "scope": "store_v2_orders", "context": "abc123"},
    {"code": "x", "scope": "store_v2_orders", "context": "stores/../etc"},
])
def test_incomplete_install_link_is_a_400_without_calling_bigcommerce(client, db, params):
    response = client.get("/bigcommerce/auth", params)
    assert response.status_code == 400
    assert b"install link is incomplete" in response.content
    assert Store.objects.count() == 0
    assert OutboundCall.objects.count() == 0


def test_reinstall_after_uninstall_restores_the_same_store_and_friendbuy_connection(client, install_app,
                                                                                   bc_jwt):
    install_app()
    store = Store.objects.get(store_hash=STORE_HASH)
    FriendbuyConnectionFactory(store=store)
    first_token = store.access_token

    assert client.get("/bigcommerce/uninstall", {"signed_payload_jwt": bc_jwt()}).status_code == 204
    store.refresh_from_db()
    assert store.status == Store.Status.UNINSTALLED and store.access_token == "" and store.uninstalled_at

    install_app()
    restored = Store.objects.get(store_hash=STORE_HASH)
    assert restored.pk == store.pk and restored.public_id == store.public_id
    assert restored.status == Store.Status.INSTALLED
    assert restored.access_token and restored.access_token != first_token
    assert FriendbuyConnection.objects.filter(store=restored).exists()
    assert Store.objects.count() == 1


def test_reinstall_by_a_new_owner_demotes_the_previous_owner(install_app):
    install_app()
    new_owner = "new-owner@example.com"
    install_app(user_id=99, user_email=new_owner, owner_id=99, owner_email=new_owner)
    store = Store.objects.get(store_hash=STORE_HASH)
    assert (store.owner_bc_user_id, store.owner_email) == (99, "new-owner@example.com")
    owners = StoreUser.objects.filter(store=store, is_owner=True).values_list("bc_user_id", flat=True)
    assert list(owners) == [99]
    assert StoreUser.objects.get(store=store, bc_user_id=OWNER_ID).is_owner is False


def test_owner_and_a_second_user_each_load_the_app(client, django_user_model, installed_store, load_app):
    owner_browser, staff_browser = Client(), Client()
    assert load_app(http_client=owner_browser)["Location"] == "/app/"
    assert owner_browser.get("/app/").status_code == 200

    response = load_app(user_id=555, user_email="staff@example.com", http_client=staff_browser)
    assert response.status_code == 302
    staff = StoreUser.objects.get(store=installed_store, bc_user_id=555)
    assert staff.email == "staff@example.com" and not staff.is_owner and staff.last_loaded_at
    page = staff_browser.get("/app/")
    assert page.status_code == 200 and b"staff@example.com" in page.content


def test_removed_user_is_refused_with_403_while_others_still_load(client, installed_store, load_app, bc_jwt):
    staff_browser = Client()
    load_app(user_id=555, user_email="staff@example.com", http_client=staff_browser)
    assert staff_browser.get("/app/").status_code == 200

    token = bc_jwt(user_id=555, user_email="staff@example.com")
    response = client.get("/bigcommerce/remove-user", {"signed_payload_jwt": token})
    assert response.status_code == 204 and response.content == b""
    assert StoreUser.objects.get(store=installed_store, bc_user_id=555).removed_at is not None

    assert staff_browser.get("/app/").status_code == 401  # the existing session ends too
    refused = load_app(user_id=555, user_email="staff@example.com", http_client=Client())
    assert refused.status_code == 403
    assert b"removed your access" in refused.content
    assert load_app(http_client=Client()).status_code == 302


def test_uninstall_wipes_the_token_and_ends_every_session(client, installed_store, load_app, bc_jwt):
    assert client.get("/app/").status_code == 200  # the installer's session

    response = client.get("/bigcommerce/uninstall", {"signed_payload_jwt": bc_jwt()})

    assert response.status_code == 204
    installed_store.refresh_from_db()
    assert installed_store.access_token == "" and _raw_access_token(STORE_HASH) == ""
    assert installed_store.status == Store.Status.UNINSTALLED and installed_store.uninstalled_at
    page = client.get("/app/")
    assert page.status_code == 401 and b"Open the app from the Apps menu" in page.content
    assert load_app().status_code == 401


def test_session_from_before_a_reinstall_does_not_come_back(client, installed_store, install_app, bc_jwt):
    client.get("/bigcommerce/uninstall", {"signed_payload_jwt": bc_jwt()})
    install_app(http_client=Client())  # re-installed from another browser
    assert client.get("/app/").status_code == 401


def test_load_for_a_store_never_installed_is_401(client, db, load_app):
    response = load_app("neverseen")
    assert response.status_code == 401
    assert b"not installed" in response.content
    assert Store.objects.count() == 0 and StoreUser.objects.count() == 0


def test_callbacks_for_unknown_store_or_user_are_acknowledged_without_writes(client, installed_store, bc_jwt):
    before = list(StoreUser.objects.values())
    other_store = bc_jwt("otherstore")
    unknown_user = bc_jwt(user_id=1234, user_email="x@example.com")
    assert client.get("/bigcommerce/uninstall", {"signed_payload_jwt": other_store}).status_code == 204
    assert client.get("/bigcommerce/remove-user", {"signed_payload_jwt": unknown_user}).status_code == 204
    assert list(StoreUser.objects.values()) == before
    installed_store.refresh_from_db()
    assert installed_store.is_installed


def test_callbacks_only_answer_get(client, installed_store, bc_jwt):
    for name in ("auth", "load", "uninstall", "remove-user"):
        path = f"/bigcommerce/{name}"
        assert client.post(path, {"signed_payload_jwt": bc_jwt()}).status_code == 405
