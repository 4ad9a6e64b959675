"""Report tables: Friendbuy's analytics copy and the daily rollups per store, storefront channel and campaign."""
from django.db import models


class FriendbuyAnalyticsDay(models.Model):
    """Friendbuy's analytics for one store, day, kind (shares, clicks, …) and campaign: a count and amount."""

    class Kind(models.TextChoices):
        SHARES = "shares", "Shares"
        CLICKS = "clicks", "Clicks"
        SIGN_UPS = "account-sign-ups", "Sign-ups"
        PURCHASES = "purchases", "Purchases"
        REWARDS = "distributed-advocate-rewards", "Advocate rewards distributed"

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="friendbuy_analytics")
    day = models.DateField()
    kind = models.CharField(max_length=40, choices=Kind.choices)
    campaign_id = models.CharField(max_length=64, blank=True)
    count = models.PositiveIntegerField(default=0)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day", "kind"]
        verbose_name_plural = "Friendbuy analytics days"
        constraints = [
            models.UniqueConstraint(fields=["store", "day", "kind", "campaign_id"], name="uniq_fb_analytics_day"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.day}: {self.count}"


class ReportDay(models.Model):
    """One store's paid orders and rewards of one UTC day, per display currency (the reports' rollup).

    Rows with an empty currency_code carry the day's reward metrics; the others the orders paid in that
    currency (money in the store's default currency, plus the referred amount as paid). Rebuilt by
    referrals.reporting.rollup (nightly for recent days, on demand for today)."""

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="report_days")
    day = models.DateField()
    currency_code = models.CharField(max_length=3, blank=True)
    orders = models.PositiveIntegerField(default=0)
    revenue = models.DecimalField(max_digits=16, decimal_places=4, default=0)
    referred_orders = models.PositiveIntegerField(default=0)
    referred_revenue = models.DecimalField(max_digits=16, decimal_places=4, default=0)
    referred_display_total = models.DecimalField(max_digits=16, decimal_places=4, default=0)
    new_customers = models.PositiveIntegerField(default=0)
    min_rate = models.DecimalField(max_digits=20, decimal_places=10, null=True, blank=True)
    max_rate = models.DecimalField(max_digits=20, decimal_places=10, null=True, blank=True)
    rewards_issued = models.PositiveIntegerField(default=0)
    rewards_redeemed = models.PositiveIntegerField(default=0)
    reward_cost = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    redeemed_cost = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    built_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day", "currency_code"]
        constraints = [
            models.UniqueConstraint(fields=["store", "day", "currency_code"], name="uniq_report_day"),
        ]

    def __str__(self) -> str:
        return f"Report day {self.day} {self.currency_code or 'rewards'}"


class ChannelDay(models.Model):
    """One store's paid orders of one UTC day on one storefront channel, per display currency: the
    reports' split by channel.

    The all-channels figures stay in ReportDay, built exactly as before; ChannelDay holds the same order
    figures (orders, revenue, referred orders and revenue, the referred amount as paid and its exchange
    rates, new customers) once per channel, so for a day and currency the ChannelDay rows of every channel
    add up to the ReportDay row. An order whose snapshot has no channel_id counts on channel 1, the default
    storefront (BigCommerce's first channel, where orders without a channel come from). Rewards are not
    split: a reward belongs to a Friendbuy campaign and an advocate, not to a storefront, so reward counts,
    cost and ROI are only in ReportDay. Rebuilt with ReportDay by referrals.reporting.rollup."""

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="channel_days")
    day = models.DateField()
    channel_id = models.PositiveIntegerField(help_text="BigCommerce channel id; orders without one count as 1.")
    currency_code = models.CharField(max_length=3, blank=True)
    orders = models.PositiveIntegerField(default=0)
    revenue = models.DecimalField(max_digits=16, decimal_places=4, default=0)
    referred_orders = models.PositiveIntegerField(default=0)
    referred_revenue = models.DecimalField(max_digits=16, decimal_places=4, default=0)
    referred_display_total = models.DecimalField(max_digits=16, decimal_places=4, default=0)
    new_customers = models.PositiveIntegerField(default=0)
    min_rate = models.DecimalField(max_digits=20, decimal_places=10, null=True, blank=True)
    max_rate = models.DecimalField(max_digits=20, decimal_places=10, null=True, blank=True)
    built_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day", "channel_id", "currency_code"]
        constraints = [
            models.UniqueConstraint(fields=["store", "channel_id", "day", "currency_code"], name="uniq_channel_day"),
        ]

    def __str__(self) -> str:
        return f"Channel {self.channel_id} day {self.day} {self.currency_code}"


class CampaignDay(models.Model):
    """One store's rewards of one UTC day per Friendbuy campaign, with the orders that earned them."""

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="campaign_days")
    day = models.DateField()
    campaign_id = models.CharField(max_length=64, blank=True)
    rewards = models.PositiveIntegerField(default=0)
    rewards_issued = models.PositiveIntegerField(default=0)
    rewards_redeemed = models.PositiveIntegerField(default=0)
    reward_cost = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    referred_orders = models.PositiveIntegerField(default=0)
    referred_revenue = models.DecimalField(max_digits=16, decimal_places=4, default=0)
    built_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day", "campaign_id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "day", "campaign_id"], name="uniq_campaign_day"),
        ]

    def __str__(self) -> str:
        return f"Campaign {self.campaign_id or '-'} {self.day}"


__all__ = ["CampaignDay", "ChannelDay", "FriendbuyAnalyticsDay", "ReportDay"]
