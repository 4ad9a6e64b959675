"""BigCommerce coupon codes the app mints, the promotions they belong to, the pools they wait in, their
redemptions and the anomalies seen while redeeming.

Reward codes come from a reward pool: codes generated ahead of need with /codegen on a BULK promotion per
template, amount and currency, one handed to each reward by a single UPDATE … SKIP LOCKED (coupons/
reward_pools.py). Code Bank pools hold codes exported to Friendbuy. Codes on SINGLE promotions, minted
one by one before pools (a SINGLE promotion takes one code), are read as they are.

The coupons app knows nothing of Friendbuy rewards: a code is tied to whatever asked for it by an
opaque `source_key` (e.g. `reward:<Friendbuy rewardId>`), unique per store. That row, committed
before BigCommerce is called, is the local idempotency record that makes minting exactly-once.
"""
from django.db import models
from django.db.models import Q

from .codes import DEFAULT_LENGTH


class CouponTemplate(models.Model):
    """Per-store rules for turning a reward into a BigCommerce coupon (the merchant's reward settings)."""

    class DiscountKind(models.TextChoices):
        FROM_REWARD = "from_reward", "From the reward (fixed amount, or % when the unit is '%')"
        FIXED = "fixed", "Fixed amount off the cart"
        PERCENTAGE = "percentage", "Percentage off the cart"

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="coupon_templates")
    name = models.CharField(max_length=60, help_text="Short name, used in promotion names and by mint_codes.")
    recipients = models.JSONField(
        default=list, blank=True,
        help_text='Reward recipients that mint with this template: any of "advocate", "friend", "loyalty". '
                  "Empty means all.",
    )
    reward_types = models.JSONField(
        default=list, blank=True,
        help_text='Friendbuy rewardType values that mint codes, e.g. ["discount"]. Empty means only "discount".',
    )
    class AmountSource(models.TextChoices):
        FROM_REWARD = "from_reward", "The reward's amount, as Friendbuy sends it"
        FIXED = "fixed", "The same amount for every code"

    discount_kind = models.CharField(max_length=12, choices=DiscountKind.choices, default=DiscountKind.FROM_REWARD)
    amount_source = models.CharField(max_length=12, choices=AmountSource.choices, default=AmountSource.FROM_REWARD)
    fixed_amount = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True,
        help_text="With amount_source fixed: the amount (money, or % for a percentage) of every code.",
    )
    free_shipping = models.BooleanField(default=False, help_text="Codes also give free shipping (all zones).")
    product_ids = models.JSONField(
        default=list, blank=True, help_text="BigCommerce product ids the discount applies to; empty = whole cart.",
    )
    category_ids = models.JSONField(
        default=list, blank=True, help_text="BigCommerce category ids the discount applies to; empty = whole cart.",
    )
    one_use_per_customer = models.BooleanField(
        default=True, help_text="Each code is used once; on: BigCommerce also limits it to one use per customer.",
    )
    revision = models.PositiveIntegerField(
        default=0, help_text="Bumped when a rule that shapes the promotion changes: new codes get a new "
                             "promotion and pool, codes already handed out keep theirs.",
    )
    min_spend = models.DecimalField(
        max_digits=12, decimal_places=2, default=0,
        help_text="Cart subtotal the shopper must reach to use the code (promotion condition minimum_spend).",
    )
    earn_minimum = models.DecimalField(
        max_digits=12, decimal_places=2, default=0,
        help_text="If a partial refund leaves the order behind a reward below this, the unused code is revoked.",
    )
    expiry_days = models.PositiveIntegerField(
        default=90, help_text="Days a minted code stays valid (tracked here; the code is deleted when it expires). "
                              "0 = never.",
    )
    prefix = models.CharField(max_length=20, blank=True, default="FB", help_text="Letters/digits before the code.")
    code_length = models.PositiveSmallIntegerField(default=DEFAULT_LENGTH)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["store", "name"]
        constraints = [models.UniqueConstraint(fields=["store", "name"], name="uniq_coupon_template_name")]

    def __str__(self) -> str:
        return self.name


class Promotion(models.Model):
    """One BigCommerce coupon promotion per (template, amount, currency, kind): many codes share it."""

    class CouponType(models.TextChoices):
        SINGLE = "SINGLE", "Single (codes added one by one)"
        BULK = "BULK", "Bulk (codegen pool)"

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="coupon_promotions")
    template = models.ForeignKey(CouponTemplate, on_delete=models.PROTECT, related_name="promotions")
    discount_kind = models.CharField(max_length=12, choices=[("fixed", "Fixed"), ("percentage", "Percentage")])
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    coupon_type = models.CharField(max_length=6, choices=CouponType.choices, default=CouponType.SINGLE)
    min_spend = models.DecimalField(max_digits=12, decimal_places=2, default=0, help_text="Snapshot at creation.")
    template_revision = models.PositiveIntegerField(default=0, help_text="The template's revision it was made from.")
    free_shipping = models.BooleanField(default=False, help_text="Snapshot at creation.")
    product_ids = models.JSONField(default=list, blank=True, help_text="Snapshot at creation.")
    category_ids = models.JSONField(default=list, blank=True, help_text="Snapshot at creation.")
    max_uses_per_customer = models.PositiveSmallIntegerField(default=1, help_text="Snapshot at creation (0 = no limit).")
    name = models.CharField(max_length=200, help_text="Name in BigCommerce (unique there; carries our id).")
    bc_promotion_id = models.BigIntegerField(null=True, blank=True, help_text="Empty until BigCommerce created it.")
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "template", "template_revision", "discount_kind", "amount", "currency",
                        "coupon_type"],
                name="uniq_promotion_per_template_revision_amount",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CodePool(models.Model):
    """Codes minted in bulk (codegen) on a BULK promotion: for a Friendbuy Code Bank, or for rewards."""

    class Purpose(models.TextChoices):
        CODE_BANK = "code_bank", "Friendbuy Code Bank (exported as CSV)"
        REWARDS = "rewards", "Reward codes (one handed to each reward)"

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="code_pools")
    template = models.ForeignKey(CouponTemplate, on_delete=models.PROTECT, related_name="pools")
    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="pools")
    name = models.CharField(max_length=100)
    purpose = models.CharField(max_length=10, choices=Purpose.choices, default=Purpose.CODE_BANK)
    low_threshold = models.PositiveIntegerField(
        default=50, help_text="Warn, and refill (when refill_to is set), when fewer codes are available.",
    )
    refill_to = models.PositiveIntegerField(
        default=0, help_text="If > 0, the beat task mints back up to this many available codes once fewer than "
                             "low_threshold are left.",
    )
    refilling_until = models.DateTimeField(
        null=True, blank=True, help_text="While a refill generates codes: who holds the right to, until when.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["store", "name"]
        constraints = [
            models.UniqueConstraint(fields=["store", "name"], name="uniq_code_pool_name"),
            # One reward pool per BULK promotion (template, amount, currency): hand-outs all draw from it.
            models.UniqueConstraint(fields=["promotion"], condition=Q(purpose="rewards"),
                                    name="uniq_reward_pool_per_promotion"),
        ]

    def __str__(self) -> str:
        return self.name


class CouponCode(models.Model):
    """One BigCommerce coupon code. Inserted (state minting) and committed BEFORE BigCommerce is called."""

    class State(models.TextChoices):
        MINTING = "minting", "Minting (not yet confirmed in BigCommerce)"
        ACTIVE = "active", "Active"
        REDEEMED = "redeemed", "Redeemed"
        DISABLED = "disabled", "Disabled (deleted in BigCommerce)"
        EXPIRED = "expired", "Expired (deleted in BigCommerce)"

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="coupon_codes")
    code = models.CharField(max_length=50, help_text="Canonical upper-case form; matched case-insensitively.")
    # NULL (not "") for pool codes so the per-store unique constraint ignores them.
    source_key = models.CharField(  # noqa: DJ001
        max_length=160, null=True, blank=True,
        help_text="What asked for this code (e.g. reward:<rewardId>); unique per store, empty for pool codes "
                  "nobody has been given yet.",
    )
    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="codes")
    pool = models.ForeignKey(CodePool, null=True, blank=True, on_delete=models.PROTECT, related_name="codes")
    bc_code_id = models.BigIntegerField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.MINTING, db_index=True)
    issued_to_customer_id = models.CharField(max_length=64, blank=True)
    issued_to_email = models.CharField(max_length=254, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    discount_kind = models.CharField(max_length=12, default="fixed")
    min_spend = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    mint_attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(
        null=True, blank=True, help_text="While minting: who holds the right to call BigCommerce, until when.",
    )
    last_error = models.TextField(blank=True)
    handed_out_at = models.DateTimeField(
        null=True, blank=True, help_text="Pool codes: handed to a reward, or (Code Bank) seen in a Friendbuy webhook.",
    )
    minted_at = models.DateTimeField(null=True, blank=True)
    redeemed_at = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["store", "code"], name="uniq_coupon_code_per_store"),
            models.UniqueConstraint(
                fields=["store", "source_key"], condition=Q(source_key__isnull=False), name="uniq_coupon_source_key",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "created_at"], name="coupon_state_created"),
            # The hand-out's candidates: a pool's active codes nobody has yet, oldest first.
            models.Index(fields=["pool", "id"], condition=Q(state="active", source_key__isnull=True,
                                                            handed_out_at__isnull=True),
                         name="coupon_pool_available"),
        ]

    def __str__(self) -> str:
        return self.code


class Redemption(models.Model):
    """A code used on a paid order (once per code and order)."""

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="coupon_redemptions")
    coupon = models.ForeignKey(CouponCode, on_delete=models.CASCADE, related_name="redemptions")
    bc_order_id = models.BigIntegerField()
    customer_id = models.CharField(max_length=64, blank=True)
    email = models.CharField(max_length=254, blank=True)
    order_total = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    redeemed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-redeemed_at"]
        constraints = [models.UniqueConstraint(fields=["coupon", "bc_order_id"], name="uniq_redemption_per_order")]

    def __str__(self) -> str:
        return f"{self.coupon} on order {self.bc_order_id}"


class RedemptionAnomaly(models.Model):
    """A fraud signal seen while redeeming (e.g. a code used by someone other than its recipient)."""

    class Kind(models.TextChoices):
        CODE_USED_BY_OTHER_CUSTOMER = "code_used_by_other_customer", "Code used by another customer"
        CODE_NOT_ACTIVE = "code_not_active", "Code used while not active"

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="redemption_anomalies")
    coupon = models.ForeignKey(CouponCode, on_delete=models.CASCADE, related_name="anomalies")
    bc_order_id = models.BigIntegerField()
    kind = models.CharField(max_length=40, choices=Kind.choices, db_index=True)
    evidence = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["coupon", "bc_order_id", "kind"], name="uniq_redemption_anomaly"),
        ]
        verbose_name_plural = "redemption anomalies"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.coupon} (order {self.bc_order_id})"
