"""The installed scripts in a real (headless Chromium) page against the live app.

A local test storefront (tests/storefront_page/) is filled with the scripts exactly as the installer sends
them to BigCommerce, with the Handlebars values substituted as Stencil would. The page is served at
http://127.0.0.1:<port> by a tiny local server (a different origin from the app at http://localhost:<port>,
so CORS is real), and Friendbuy's two URLs are answered by a fake SDK that records every push.
"""
import html
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.db import connections

from referrals.models import AttributionCapture, OrderAttributionLink
from storefront.scripts import desired_scripts
from tests.fixtures_storefront import build_storefront_world

CHROMIUM = "/usr/bin/chromium"
PAGE_DIR = Path(__file__).resolve().parent / "storefront_page"
CUSTOMER_ID, CUSTOMER_EMAIL, ORDER_ID, CART_ID = 42, "advocate@example.com", 1001, "3f1c2a9e-cart-0001"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is absent (apt-get install chromium)"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="python playwright is not installed")


def script_tag(spec) -> str:
    fields = spec.fields
    if fields["kind"] == "script_tag":
        return fields["html"]
    integrity = " ".join(fields.get("integrity_hashes") or [])
    defer = " defer" if fields["load_method"] == "defer" else (" async" if fields["load_method"] == "async" else "")
    return (f'<script src="{html.escape(fields["src"])}" integrity="{integrity}" '
            f'crossorigin="anonymous"{defer}></script>')


def render_page(specs, *, page_type: str, visibility: set[str]) -> str:
    """The storefront page as Stencil renders it: scripts by location, Handlebars values filled in."""
    chosen = [s for s in specs if s.fields["visibility"] in visibility]
    head = "\n".join(script_tag(s) for s in chosen if s.fields["location"] == "head")
    footer = "\n".join(script_tag(s) for s in chosen if s.fields["location"] == "footer")
    page = (PAGE_DIR / "page.html").read_text().replace("__HEAD_SCRIPTS__", head).replace("__FOOTER_SCRIPTS__", footer)
    values = {"{{page_type}}": page_type, "{{customer.id}}": str(CUSTOMER_ID), "{{checkout.order.id}}": str(ORDER_ID)}
    for key, value in values.items():
        page = page.replace(key, value)
    assert "{{" not in page, "a Handlebars expression was left unrendered"
    return page


@pytest.fixture
def browser_world(transactional_db, live_server, settings, monkeypatch, clear_cache):
    # clear_cache: throttle counters and memoised stores left by earlier tests in this process must not
    # throttle or misroute this page's calls.
    # Playwright's sync API runs an event loop in this thread; the test only polls the ORM between steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.APP_URL = live_server.url
    world = build_storefront_world(store_hash="browserstore")
    with StorefrontServer() as shop:
        world.store.storefront_url = shop.url
        world.store.save(update_fields=["storefront_url"])
        yield world, shop


class StorefrontServer:
    """The test storefront on its own loopback origin (the app is on localhost: another origin, real CORS).

    A real server rather than Playwright routing: Chromium treats a routed page as public and refuses its
    requests to the loopback app (Local Network Access)."""

    def __init__(self):
        self.routes: dict[str, tuple[str, str]] = {}
        routes = self.routes

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                content_type, body = routes.get(self.path.split("?")[0], ("text/plain", None))
                data = (body or "not found").encode()
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def wait_for(predicate, *, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_installed_scripts_identify_capture_link_and_render_the_widget(browser_world):
    world, shop = browser_world
    specs = desired_scripts(store=world.store)
    status = world.visitor_status(referralCode="sam42")
    fake_sdk = ((PAGE_DIR / "fake_friendbuy.js").read_text()
                .replace("__VISITOR_STATUS__", json.dumps(status)).replace("__FRIEND_COUPON__", '"FRIEND-10"'))
    account_page = render_page(specs, page_type="account_orders", visibility={"all_pages", "storefront"})
    confirmation_page = render_page(specs, page_type="orderconfirmation", visibility={"all_pages", "order_confirmation"})
    token = world.jwt(customer_id=CUSTOMER_ID, email=CUSTOMER_EMAIL)

    routes = {
        "/account.php": ("text/html", account_page),
        "/checkout/order-confirmation": ("text/html", confirmation_page),
        "/customer/current.jwt": ("text/plain", token),
        "/api/storefront/carts": ("application/json", json.dumps([{"id": CART_ID}])),
        f"/api/storefront/order/{ORDER_ID}": ("application/json", json.dumps({"orderId": ORDER_ID, "cartId": CART_ID})),
    }
    shop.routes.update(routes)

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync",
        ])
        try:
            page = browser.new_page(user_agent="FbcBrowserTest/1.0")
            # Kept for the failure message: what the page said and which requests failed.
            logs: list[str] = []
            page.on("console", lambda message: logs.append(f"console: {message.text}"))
            page.on("requestfailed", lambda request: logs.append(f"failed: {request.url} {request.failure}"))
            page.on("response", lambda response: logs.append(f"{response.status} {response.url}"))
            page.route("https://static.fbot.me/friendbuy.js",
                       lambda route: route.fulfill(status=200, content_type="text/javascript", body=fake_sdk))
            page.route("https://campaign.fbot.me/**",
                       lambda route: route.fulfill(status=200, content_type="text/javascript", body="/* campaigns */"))

            page.goto(f"{shop.url}/account.php")
            try:
                page.wait_for_function("() => (window.__fbRecorded || []).some(c => c[0] === 'auth')",
                                       timeout=15000)
            except sync_api.TimeoutError as exc:
                recorded = page.evaluate("() => window.__fbRecorded")
                raise AssertionError(f"no auth push; recorded={recorded}; log={logs}") from exc
            recorded = page.evaluate("() => window.__fbRecorded")
            assert ["merchant", world.connection.merchant_id] in recorded
            assert ["track", "customer", {"id": str(CUSTOMER_ID), "email": CUSTOMER_EMAIL}] in recorded
            auth = next(c for c in recorded if c[0] == "auth")
            assert auth[1].endswith(f":{CUSTOMER_EMAIL}:{CUSTOMER_ID}") and len(auth[2]) == 64
            assert not any(c[:2] == ["track", "purchase"] for c in recorded)

            capture = wait_for(lambda: AttributionCapture.objects.filter(store=world.store, friend_coupon="FRIEND-10")
                               .first(), what="the attribution capture row")
            assert capture.signature_valid and capture.referral_code == "sam42"
            assert capture.user_agent == "FbcBrowserTest/1.0"
            assert capture.cart_id == CART_ID, list(AttributionCapture.objects.values("cart_id", "friend_coupon"))
            assert capture.bc_customer_id == CUSTOMER_ID
            cookies = {c["name"]: c for c in page.context.cookies(shop.url)}
            assert cookies["fbc_device"]["value"] == capture.device_id
            assert cookies["fbc_device"]["sameSite"] == "Lax"

            page.wait_for_selector(".fbc-panel", timeout=15000)
            panel = page.inner_text(".fbc-panel")
            assert "Refer a friend" in panel and "My rewards" in panel and "No rewards yet" in panel
            assert page.input_value(".fbc-link").startswith("https://fbuy.io/")

            page.goto(f"{shop.url}/checkout/order-confirmation")
            link = wait_for(lambda: OrderAttributionLink.objects.filter(store=world.store, bc_order_id=ORDER_ID)
                            .first(), what="the order link row")
            assert link.device_id == capture.device_id and link.cart_id == CART_ID
            # The confirmation page may capture again first; the link takes the latest capture of that cart.
            assert link.user_agent == "FbcBrowserTest/1.0" and link.capture is not None
            assert (link.capture.cart_id, link.capture.device_id, link.capture.referral_code) == (
                CART_ID, capture.device_id, "sam42")
        finally:
            browser.close()
            # ORM calls made while Playwright's loop ran used a connection of that context: close it
            # here, or it outlives the test and blocks dropping the test database.
            connections.close_all()
