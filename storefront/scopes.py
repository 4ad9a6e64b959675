"""The OAuth scopes this app asks BigCommerce for, each with the reason it is needed (least privilege).

BigCommerce asks the merchant to accept the scopes set on the app profile in the Developer Portal (reference
§1.1); they cannot pick some. This table is what the profile must list, the README's scope table is written
from it (a test compares them), and the sandbox grants a store exactly these unless a test says otherwise.

What is deliberately **not** requested:
- `store_content_checkout` (Checkout Content): every script goes on `storefront` or `order_confirmation`
  pages, which need only `store_v2_content`; `all_pages` and `checkout` would need this scope and a
  Marketplace security assessment, and every script on the checkout page an SRI hash (PCI DSS 4.0 6.4.3).
- write access to orders: the app only reads them (re-fetched after each webhook).
- Webhooks (`/v3/hooks`) and the storefront's current-customer JWT need no scope.

A `modify` scope also grants its `read_only` twin, so one entry per resource is enough.

OPTIONAL_SCOPES are requested too (they are on the app profile), but a store installed before they were added
has a token without them until the merchant accepts the new scopes: the feature that needs one checks the
store's grant (`store_has_scope`) and stays off, with the reason shown, instead of failing. `scopes_missing`
lists only the required ones.
"""

from __future__ import annotations

APP_SCOPES: dict[str, str] = {
    "store_v2_orders_read_only": "read orders, their products, coupons and shipping addresses to send purchases "
    "once, answer the reward validation callback, backfill and reconcile",
    "store_v2_transactions_read_only": "read order transactions and refunds (when an order is paid, what was "
    "refunded)",
    "store_v2_customers": "read customers for sign-ups, updates and to confirm a deletion before erasing; "
    "deposit and remove store credit rewards and move loyalty tiers into customer groups",
    "store_v2_marketing": "create the reward coupon promotions and their one-time codes, disable revoked codes",
    "store_v2_content": "install the storefront scripts (visibility `storefront` and `order_confirmation` only)",
    "store_v2_information_read_only": "read the store's URL and default channel (the widget API's CORS origins)",
    "store_channel_settings_read_only": "list the storefront channels, to install the scripts on each",
    "store_sites_read_only": "read each channel's site URLs (more CORS origins)",
}

OPTIONAL_SCOPES: dict[str, str] = {
    "store_v2_products_read_only": "read products and their approved reviews, for the `product_review` earning "
    "event (optional: without it reviews do not earn and the loyalty events page says why)",
}
PRODUCTS_READ = "store_v2_products_read_only"

READ_ONLY_SUFFIX = "_read_only"


def scope_satisfied(*, needed: str, granted: frozenset[str] | set[str]) -> bool:
    """Does a token with `granted` hold `needed`? A modify scope covers its read-only twin."""
    if needed in granted:
        return True
    return needed.endswith(READ_ONLY_SUFFIX) and needed[: -len(READ_ONLY_SUFFIX)] in granted


def scopes_missing(*, granted: str) -> list[str]:
    """The app's scopes that a space-separated grant lacks (empty when the store granted them all)."""
    have = frozenset(granted.split())
    return [scope for scope in APP_SCOPES if not scope_satisfied(needed=scope, granted=have)]


def store_has_scope(*, granted: str, needed: str) -> bool:
    """Does a store's space-separated grant hold `needed` (e.g. an optional scope)?"""
    return scope_satisfied(needed=needed, granted=frozenset(granted.split()))


def app_scope_string() -> str:
    """The scopes the app profile requests (required, then optional) as BigCommerce writes them: space-separated."""
    return " ".join([*APP_SCOPES, *OPTIONAL_SCOPES])
