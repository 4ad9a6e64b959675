"""referrals: the Friendbuy side (client, events out, webhooks in, rewards, attribution)."""
from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Friendbuy referrals"
