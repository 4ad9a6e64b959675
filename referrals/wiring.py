"""Start-up wiring of the referrals app, run once from ReferralsConfig.ready (when every model is loaded).

Importing the receiver modules connects their `@receiver` functions and the admin package registers every
ModelAdmin; storefront never imports referrals, so we hand it our webhook handlers and retention rules here
(DESIGN.md §2), and fraud gets our email normaliser so it matches emails as our identities do.
"""
from __future__ import annotations

from fraud import normalise
from referrals import admin  # noqa: F401  (registers every ModelAdmin of the app)
from referrals.earning import newsletter, reversals  # noqa: F401  (reversals connects its receiver)
from referrals.inbox.retention import retention_rules_register
from referrals.orders.handlers import handle_customer_delivery, handle_order_deliveries
from referrals.orders.identity import normalize_email
from referrals.reporting import rollup
from referrals.rewards import issue, order_events  # noqa: F401  (their signal receivers)
from referrals.screening import assessment, decisions  # noqa: F401  (their signal receivers)
from storefront.webhooks import handlers


def wire() -> None:
    """Connect what needs a call rather than an import; safe to call once per process."""
    normalise.register_email_normalizer(normalize_email)
    rollup.connect_receivers()
    retention_rules_register()
    handlers.register_resource("store/order/", handle_order_deliveries)
    handlers.register("store/customer/created", handle_customer_delivery)
    handlers.register("store/customer/updated", handle_customer_delivery)
    handlers.register("store/customer/deleted", handle_customer_delivery)
    handlers.register("store/subscriber/created", newsletter.handle_subscriber_delivery)
