"""referrals: the Friendbuy side (client, events out, webhooks in, rewards, attribution, support, reports)."""

from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Friendbuy referrals"

    def ready(self) -> None:
        # Django's one sanctioned late import: the wiring needs loaded models (DESIGN.md §2).
        from referrals import wiring

        wiring.wire()
