"""Rewards, their transitions, review holds and friend codes."""
from django.conf import settings
from django.db import models

from referrals.models.inbox import FriendbuyDelivery


class ReviewHold(models.Model):
    """A fraud review on an order. Pending → callbacks answer 503; rejected → 400.

    Minimal on purpose: the fraud app will own review (and may replace this model); rewards only read it.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="review_holds")
    bc_order_id = models.BigIntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["store", "bc_order_id"], name="uniq_review_hold_order")]

    def __str__(self) -> str:
        return f"Review of order {self.bc_order_id} ({self.state})"


class Reward(models.Model):
    """One Friendbuy reward (advocate, friend or loyalty), unique per store and Friendbuy rewardId."""

    class Recipient(models.TextChoices):
        ADVOCATE = "advocate", "Advocate"
        FRIEND = "friend", "Friend"
        LOYALTY = "loyalty", "Loyalty member"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        ISSUED = "issued", "Issued (code active)"
        REDEEMED = "redeemed", "Redeemed"
        REJECTED = "rejected", "Rejected"
        REVOKED = "revoked", "Revoked (code disabled)"
        EXPIRED = "expired", "Expired"
        CLAWBACK_FLAGGED = "clawback_flagged", "Clawback flagged (redeemed, order reversed)"

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="rewards")
    friendbuy_reward_id = models.CharField(max_length=120)
    recipient = models.CharField(max_length=10, choices=Recipient.choices)
    reward_type = models.CharField(max_length=20, help_text="Friendbuy rewardType (discount, credit, …).")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    unit = models.CharField(max_length=20, help_text="rewardUnit: currency code, % or SKU.")
    currency = models.CharField(max_length=3, blank=True)
    customer_id = models.CharField(max_length=64, blank=True, db_index=True)
    email = models.CharField(max_length=254, blank=True)
    campaign_id = models.CharField(max_length=64, blank=True, db_index=True)
    reward_trigger = models.CharField(max_length=40, blank=True)
    advocate_customer_id = models.CharField(max_length=64, blank=True)
    advocate_email = models.CharField(max_length=254, blank=True)
    friend_email = models.CharField(max_length=254, blank=True, help_text="The friend behind an advocate reward.")
    bc_order_id = models.BigIntegerField(null=True, blank=True, db_index=True,
                                         help_text="The order that earned the reward, where known.")
    order = models.ForeignKey("referrals.OrderSnapshot", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="rewards")
    friendbuy_coupon_code = models.CharField(max_length=64, blank=True,
                                             help_text="couponCode as Friendbuy sent it (code banks).")
    coupon = models.OneToOneField("coupons.CouponCode", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="reward")
    min_order_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0,
                                           help_text="A partial refund below this revokes the unused code.")
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING, db_index=True)
    delivery = models.ForeignKey(FriendbuyDelivery, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="rewards")
    raw = models.JSONField(default=dict, help_text="The webhook item as received.")
    friendbuy_created_on = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "friendbuy_reward_id"], name="uniq_reward_per_friendbuy_id"),
        ]

    def __str__(self) -> str:
        return f"{self.get_recipient_display()} reward {self.friendbuy_reward_id}"


class RewardTransition(models.Model):
    """One state change of a reward, with the code/amount/currency as they were at that moment."""

    class Actor(models.TextChoices):
        SYSTEM = "system", "System"
        USER = "user", "Staff user"

    reward = models.ForeignKey(Reward, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=20)
    to_state = models.CharField(max_length=20)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.CharField(max_length=6, choices=Actor.choices, default=Actor.SYSTEM)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    reason = models.TextField(blank=True)
    code = models.CharField(max_length=50, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state}"


class FriendCode(models.Model):
    """A friend's coupon code learned from friendIncentive / emailCapture, so orders using it are attributed."""

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="friend_codes")
    code = models.CharField(max_length=64, help_text="Canonical upper-case form.")
    friend_email = models.CharField(max_length=254, blank=True)
    friend_customer_id = models.CharField(max_length=64, blank=True)
    advocate_email = models.CharField(max_length=254, blank=True)
    advocate_customer_id = models.CharField(max_length=64, blank=True)
    referral_code = models.CharField(max_length=64, blank=True)
    campaign_id = models.CharField(max_length=64, blank=True)
    attribution_id = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=20, help_text="friendIncentive or emailCapture.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["store", "code"], name="uniq_friend_code")]

    def __str__(self) -> str:
        return self.code


__all__ = ["FriendCode", "ReviewHold", "Reward", "RewardTransition"]
