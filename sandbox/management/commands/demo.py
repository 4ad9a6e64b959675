"""Sets up the demo: an admin user, a demo store installed through the real /bigcommerce/auth flow
against the sandbox, the Friendbuy sandbox connected, and sample orders played through webhooks.

Safe to run again: every step finds what an earlier run made.

The stories run their tasks in this process, on purpose: each step reads what the one before produced
(the install registers the webhooks the orders are delivered to; a reward's code is used by the next
order), so the command cannot leave them to the worker and go on. Everything after it (retries, the
schedule, whatever the web server queues) is the worker's and beat's, as in production.
"""
from contextlib import contextmanager
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from config.celery import app as celery_app
from referrals.friendbuy.services import friendbuy_connect
from referrals.models import FriendbuyConnection, OrderSnapshot
from sandbox.bigcommerce import world as bc_world
from sandbox.bigcommerce.tokens import DEFAULT_SCOPE, issue_install_code, signed_payload_jwt
from sandbox.demo.credit import play_demo_credit
from sandbox.demo.earning import play_demo_earning
from sandbox.demo.fraud import play_demo_fraud
from sandbox.demo.orders import play_demo_orders
from sandbox.demo.rewards import play_demo_rewards
from sandbox.friendbuy import world as fb_world
from sandbox.friendbuy.models import FakeMerchant
from sandbox.storefront.demo import prepare_demo_storefront
from storefront.http import build_session
from storefront.models import Store

DEMO_STORE = "demostore"
OWNER = {"user_id": 7001, "user_email": "owner@demo-store.example"}
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin"


class Command(BaseCommand):
    help = "Create the demo admin user, install the demo store and connect the Friendbuy sandbox."

    def handle(self, *args, **options):
        if not settings.SANDBOX_ENABLED:
            raise CommandError("The demo needs the sandbox (DJANGO_SETTINGS_MODULE=config.settings.dev).")
        with tasks_in_process():
            self._admin_user()
            store = self._install_store()
            connection = self._connect_friendbuy(store)
            self._after_connect(store)
            storefront = self._storefront(store)
        self._summary(store, connection, storefront)

    def _admin_user(self):
        user_model = get_user_model()
        if not user_model.objects.filter(username=ADMIN_USERNAME).exists():
            user_model.objects.create_superuser(ADMIN_USERNAME, "admin@example.com", ADMIN_PASSWORD)

    def _install_store(self) -> Store:
        """Drive the real install callback, exactly as the control panel would."""
        bc_world.create_store(DEMO_STORE)
        code = issue_install_code(
            store_hash=DEMO_STORE, user_id=OWNER["user_id"], user_email=OWNER["user_email"],
            owner_id=OWNER["user_id"], owner_email=OWNER["user_email"],
        )
        query = urlencode({
            "code": code, "context": f"stores/{DEMO_STORE}", "scope": DEFAULT_SCOPE,
            "account_uuid": "00000000-0000-4000-8000-000000000001",
        })
        response = build_session().get(f"{settings.APP_URL}/bigcommerce/auth?{query}", allow_redirects=False)
        if response.status_code >= 400:
            raise CommandError(f"The install callback failed ({response.status_code}): {response.text[:500]}")
        return Store.objects.get(store_hash=DEMO_STORE)

    def _connect_friendbuy(self, store: Store) -> FriendbuyConnection:
        existing = FriendbuyConnection.objects.filter(store=store).first()
        merchant = (FakeMerchant.objects.filter(merchant_id=existing.merchant_id).first() if existing else None)
        merchant = merchant or fb_world.create_merchant()
        # The real service, as the merchant's form would call it (it checks the credentials first).
        return friendbuy_connect(
            store=store, merchant_id=merchant.merchant_id, api_key=merchant.api_key,
            api_secret=merchant.api_secret, webhook_secret=merchant.webhook_secret,
        )

    def _after_connect(self, store: Store) -> None:
        """Play the journeys once (a second run finds them and adds nothing)."""
        if OrderSnapshot.objects.filter(store=store).exists():
            self.stdout.write("Demo journeys already played; skipping.")
            return
        orders = play_demo_orders(store=store)
        self.stdout.write(f"Orders played: {orders}")
        rewards = play_demo_rewards(store=store)
        self.stdout.write(f"Rewards played: {rewards}")
        fraud = play_demo_fraud(store=store)
        self.stdout.write(f"Fraud cases played: {fraud}")
        self.stdout.write(f"Loyalty played: {play_demo_earning(store=store)}")
        self.stdout.write(f"Credit rewards played: {play_demo_credit(store=store)}")

    def _storefront(self, store: Store) -> dict:
        return prepare_demo_storefront(store=store)

    def _summary(self, store: Store, connection: FriendbuyConnection, storefront: dict) -> None:
        jwt = signed_payload_jwt(
            store_hash=DEMO_STORE, user_id=OWNER["user_id"], user_email=OWNER["user_email"],
            owner_id=OWNER["user_id"], owner_email=OWNER["user_email"],
        )
        self.stdout.write(self.style.SUCCESS("Demo ready."))
        self.stdout.write(f"  Admin:       {settings.APP_URL}/admin/  (user '{ADMIN_USERNAME}', password '{ADMIN_PASSWORD}')")
        self.stdout.write(f"  Merchant UI: {settings.APP_URL}/bigcommerce/load?signed_payload_jwt={jwt}")
        self.stdout.write(f"  Store:       {store.store_hash} ({store.status}); Friendbuy {connection.get_health_display()}")
        self.stdout.write(f"  Storefront:  {storefront['home']}  (log in as Ada, share, open as Fred, order)")
        self.stdout.write("  Story:       Ada (ada@example.com) says she got nothing for referring Finn; look her up:")
        self.stdout.write(f"  Support:     {settings.APP_URL}/admin/support/lookup/?q=ada%40example.com")


@contextmanager
def tasks_in_process():
    """Run every task queued inside the block at once, in this process (see the module docstring)."""
    conf = celery_app.conf
    saved, conf.task_always_eager = conf.task_always_eager, True
    try:
        yield
    finally:
        conf.task_always_eager = saved
