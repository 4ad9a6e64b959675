"""referrals: the Friendbuy side (client, events out, webhooks in, rewards, attribution)."""

from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Friendbuy referrals"

    def ready(self) -> None:
        # storefront never imports referrals: we hand it our webhook handlers (DESIGN.md §2).
        from storefront import handlers

        # Admin modules register ModelAdmins; fraud_hooks and rewards connect their signal receivers.
        from . import (  # noqa: F401
            admin_attribution,
            admin_credit,
            admin_lifecycle,
            admin_rewards,
            fraud_hooks,
            lifecycle,
            report_rollup,
            rewards,
            support_admin,
        )
        from .earning import newsletter, reversals  # noqa: F401  (reversals connects its receiver)
        from .retention_rules import retention_rules_register

        report_rollup.connect_receivers()
        # storefront.retention prunes our inbox tables by the rules we hand it.
        retention_rules_register()

        handlers.register_resource("store/order/", lifecycle.handle_order_deliveries)
        handlers.register("store/customer/created", lifecycle.handle_customer_delivery)
        handlers.register("store/customer/updated", lifecycle.handle_customer_delivery)
        handlers.register("store/customer/deleted", lifecycle.handle_customer_delivery)
        handlers.register("store/subscriber/created", newsletter.handle_subscriber_delivery)
