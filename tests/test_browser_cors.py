"""Headless Chromium calls the widget API across origins, as a real storefront does.

The storefront page is served from http://127.0.0.1:<port> by a tiny local server; the app runs at
http://localhost:<port> (live_server), another origin, so every call with the shopper's JWT needs a CORS
preflight (Authorization is not a CORS-safelisted header). The store's origin is not typed into the admin:
the fake BigCommerce says the store lives at the page's origin and the app reads it (storefront.channels),
as it does on a real store. A second page on another port, an origin the store doesn't have, makes the
same calls and the browser blocks them. Screenshots at 1280 and 390 px go to var/screenshots/.
"""

import os
from pathlib import Path

import pytest
from django.db import connections

from sandbox.bigcommerce import world as bc_world
from storefront.channels import channels_sync
from storefront.widget_api.stores import forget_stores
from tests.fixtures_storefront import build_storefront_world
from tests.test_browser_storefront import CHROMIUM, StorefrontServer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is absent (apt-get install chromium)"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="python playwright is not installed")

SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR") or Path(__file__).resolve().parents[1] / "var" / "screenshots")
CUSTOMER_ID, CUSTOMER_EMAIL = 42, "advocate@example.com"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Storefront — widget API across origins</title>
<style>
 body { font-family: system-ui, sans-serif; margin: 0; color: #313440; background: #f6f7fc; }
 header { background: #34313f; color: #fff; padding: 16px 24px; font-size: 20px; }
 main { padding: 24px; max-width: 960px; margin: auto; }
 .card { background: #fff; border: 1px solid #d9dce9; border-radius: 4px; padding: 16px; margin-bottom: 16px;
         overflow-wrap: anywhere; }
 .ok { color: #208831; } .blocked { color: #db3643; }
 code { font-size: 13px; }
</style></head>
<body><header>__TITLE__</header><main>
<div class="card">Page origin: <code id="origin"></code><br>Widget API: <code>__API__</code></div>
<div id="results"></div>
</main>
<script>
document.getElementById("origin").textContent = location.origin;
window.__results = {};
const calls = ["me/referral-status", "me/rewards", "me/loyalty"];
Promise.all(calls.map(path =>
  fetch("__API__/" + path + "?store=__STORE__", {mode: "cors", credentials: "omit",
        headers: {"Authorization": "Bearer __TOKEN__", "X-Store-Id": "__STORE__"}})
    .then(r => r.json().then(body => ({path, ok: r.ok, status: r.status, body})))
    .catch(error => ({path, ok: false, status: 0, error: String(error)}))
)).then(results => {
  const box = document.getElementById("results");
  for (const result of results) {
    window.__results[result.path] = result;
    const card = document.createElement("div");
    card.className = "card " + (result.status ? "ok" : "blocked");
    card.textContent = result.path + " → " + (result.status
      ? result.status + " " + JSON.stringify(result.body) : "blocked by the browser (" + result.error + ")");
    box.appendChild(card);
  }
  window.__done = true;
});
</script></body></html>
"""


@pytest.fixture
def cors_world(transactional_db, live_server, settings, monkeypatch, clear_cache):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.APP_URL = live_server.url
    world = build_storefront_world(store_hash="corsstore")
    with StorefrontServer() as shop, StorefrontServer() as stranger:
        # The store's URL as BigCommerce knows it is the page's origin; nothing is set in the admin.
        world.store.storefront_url = ""
        world.store.save(update_fields=["storefront_url"])
        world.store.storefront_settings.allowed_origins = ""
        world.store.storefront_settings.save(update_fields=["allowed_origins"])
        bc_world.set_store_information(world.store.store_hash, secure_url=shop.url, notify=False)
        channels_sync(store=world.store)
        forget_stores()
        yield world, shop, stranger, live_server.url


def _page(world, api: str, title: str) -> str:
    token = world.jwt(customer_id=CUSTOMER_ID, email=CUSTOMER_EMAIL)
    return (PAGE.replace("__API__", f"{api}/api/storefront/v1").replace("__STORE__", world.store.public_id)
            .replace("__TOKEN__", token).replace("__TITLE__", title))


def _run(browser, url: str, *, width: int, height: int, shot: str | None = None) -> dict:
    page = browser.new_page(viewport={"width": width, "height": height})
    logs: list[str] = []
    page.on("console", lambda message: logs.append(f"console: {message.text}"))
    try:
        page.goto(url)
        page.wait_for_function("() => window.__done === true", timeout=15000)
        if shot:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / shot), full_page=True)
        return {"results": page.evaluate("() => window.__results"), "logs": logs}
    finally:
        page.close()


def test_a_storefront_page_on_its_own_origin_calls_the_widget_api_on_the_apps(cors_world):
    world, shop, stranger, app = cors_world
    assert world.store.storefront_url == shop.url and shop.url.split(":")[1] != app.split(":")[1]
    shop.routes["/account.php"] = ("text/html", _page(world, app, "Storefront on its own origin"))
    stranger.routes["/account.php"] = ("text/html", _page(world, app, "A page on an origin the store doesn't have"))

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync",
        ])
        try:
            for width, height in ((1280, 800), (390, 844)):
                seen = _run(browser, f"{shop.url}/account.php", width=width, height=height,
                            shot=f"cors-storefront-{width}.png")
                results = seen["results"]
                assert {path: r["status"] for path, r in results.items()} == {
                    "me/referral-status": 200, "me/rewards": 200, "me/loyalty": 200}, seen
                assert results["me/rewards"]["body"] == {"rewards": []}
                assert results["me/loyalty"]["body"]["optedIn"] is False

            blocked = _run(browser, f"{stranger.url}/account.php", width=1280, height=800,
                           shot="cors-foreign-origin-1280.png")
            assert all(r["status"] == 0 and "Failed to fetch" in r["error"] for r in blocked["results"].values()), blocked
            assert any("CORS" in line for line in blocked["logs"]), blocked["logs"]
        finally:
            browser.close()
            connections.close_all()
