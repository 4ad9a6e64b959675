"""Loyalty earning events: each store's switches for the custom events this app tells Friendbuy of.

The events themselves are LoyaltyEvent rows (one per store and deduplication id, sent once as Friendbuy
custom events); a store without a row here has the defaults.
"""
from django.db import models

__all__ = ["EarningSettings", "ReviewScan", "TierGroupChange", "TierGroupMapping", "TierMembership"]


class EarningSettings(models.Model):
    """Per-store switches of the earning and reversal events."""

    store = models.OneToOneField("storefront.Store", on_delete=models.CASCADE, related_name="earning_settings")
    sign_up_enabled = models.BooleanField(
        default=True, help_text="Send Friendbuy's account sign-up event when a shopper creates an account "
                                "(BigCommerce store/customer/created).")
    newsletter_enabled = models.BooleanField(
        default=True, help_text="Send newsletter_subscribed when BigCommerce reports a new newsletter subscriber.")
    reversals_enabled = models.BooleanField(
        default=True, help_text="Tell Friendbuy of refunds, partial refunds, cancellations and chargebacks.")
    code_use_enabled = models.BooleanField(
        default=True, help_text="Tell Friendbuy when a referral or friend code is used at checkout.")
    birthday_enabled = models.BooleanField(
        default=False, help_text="Send birthday on the customer's birthday (needs the field below).")
    birthday_field = models.CharField(
        max_length=255, blank=True,
        help_text="Name of the customer account form field, or of the customer attribute, holding the birthday "
                  "(YYYY-MM-DD, MM/DD/YYYY, DD.MM.YYYY or MM-DD); a form field of that name is tried first.")
    reviews_enabled = models.BooleanField(
        default=False, help_text="Send product_review for each approved product review (found by the scheduled "
                                 "scan; needs the optional store_v2_products_read_only scope). Off until the owner "
                                 "switches it on, as each review may cost a reward.")
    api_key_hash = models.CharField(
        max_length=64, blank=True, db_index=True,
        help_text="SHA-256 of the external-events API key (the key is shown once, when made, and never stored).")
    api_key_hint = models.CharField(max_length=12, blank=True, help_text="The key's first characters.")
    api_key_created_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "earning settings"

    def __str__(self) -> str:
        return f"Earning settings of {self.store_id}"


class TierGroupMapping(models.Model):
    """The merchant's choice: members of this Friendbuy tier belong in this BigCommerce customer group."""

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="tier_mappings")
    tier_id = models.CharField(max_length=64, help_text="Friendbuy memberTierId.")
    tier_name = models.CharField(max_length=255, blank=True)
    customer_group_id = models.PositiveIntegerField(help_text="BigCommerce customer group id.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "tier_id"], name="uniq_tier_mapping")]

    def __str__(self) -> str:
        return f"{self.tier_name or self.tier_id} → group {self.customer_group_id}"


class TierMembership(models.Model):
    """A member's latest tier as Friendbuy reported it, and the customer group we put them in for it."""

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="tier_memberships")
    friendbuy_customer_id = models.CharField(max_length=64)
    tier_id = models.CharField(max_length=64, blank=True, help_text="Empty: in no tier.")
    tier_name = models.CharField(max_length=255, blank=True)
    tier_updated_at = models.CharField(max_length=40, blank=True, help_text="memberTierUpdatedOn as sent (ISO).")
    applied_group_id = models.PositiveIntegerField(null=True, blank=True,
                                                   help_text="The group we moved the customer into for their tier.")
    group_before_id = models.PositiveIntegerField(null=True, blank=True,
                                                  help_text="Their group before we first moved them (to go back).")
    reason = models.CharField(max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "friendbuy_customer_id"], name="uniq_tier_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.friendbuy_customer_id}: {self.tier_name or self.tier_id or 'no tier'}"


class TierGroupChange(models.Model):
    """Audit: one customer moved between BigCommerce customer groups because of their tier."""

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="tier_group_changes")
    membership = models.ForeignKey(TierMembership, on_delete=models.CASCADE, related_name="changes")
    bc_customer_id = models.BigIntegerField()
    tier_id = models.CharField(max_length=64, blank=True)
    from_group_id = models.PositiveIntegerField(default=0)
    to_group_id = models.PositiveIntegerField(default=0)
    reason = models.CharField(max_length=255)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"customer {self.bc_customer_id}: group {self.from_group_id} → {self.to_group_id}"


class ReviewScan(models.Model):
    """Where a store's scan of approved product reviews stands (referrals.earning.reviews).

    A pass walks the catalog by product id, a bounded number of calls per run, resuming at (next_product_id,
    next_page); approved reviews modified since `since` owe product_review (the LoyaltyEvent row keeps each
    review to one event whatever the watermark lets through twice). When a pass ends, `since` moves to when it
    began. The lease (locked_until) keeps two workers off one store.
    """

    store = models.OneToOneField("storefront.Store", on_delete=models.CASCADE, related_name="review_scan")
    since = models.DateTimeField(help_text="Watermark: approved reviews modified after this earn (the switch-on "
                                           "time for the first pass, then each pass's start).")
    pass_started_at = models.DateTimeField(null=True, blank=True, help_text="When the pass under way began.")
    next_product_id = models.PositiveBigIntegerField(default=0, help_text="The pass resumes at this product id.")
    next_page = models.PositiveIntegerField(default=1, help_text="…and at this page of that product's reviews.")
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_pass_completed_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=255, blank=True,
                              help_text="Why the last run did not scan (scope missing, BigCommerce error); empty: fine.")
    locked_until = models.DateTimeField(null=True, blank=True)
    lock_token = models.CharField(max_length=32, blank=True)

    def __str__(self) -> str:
        return f"Review scan of {self.store_id} (since {self.since:%Y-%m-%d %H:%M})"
