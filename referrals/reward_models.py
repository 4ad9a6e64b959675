"""Friendbuy rewards: inbound deliveries (webhooks and validation callbacks, stored raw), rewards with
their state history, friend codes, review holds and loyalty custom events.

Webhook and callback bodies are untrusted until their signature is verified; rows are written
before verification so that forged or misrouted calls are evidence too.
"""
from django.conf import settings
from django.db import models

__all__ = [
    "EmailOptOut",
    "FriendCode",
    "FriendbuyDelivery",
    "FriendbuyWebhookItem",
    "LoyaltyEvent",
    "ReviewHold",
    "Reward",
    "RewardTransition",
    "ValidationCallback",
]


class FriendbuyDelivery(models.Model):
    """One inbound call from Friendbuy (webhook or reward validation callback), stored before answering."""

    class Kind(models.TextChoices):
        WEBHOOK = "webhook", "Webhook"
        VALIDATION = "validation", "Reward validation callback"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received (processing queued)"
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Failed (retried on schedule)"
        DEAD = "dead", "Dead letter (retries used up; replayable)"
        BAD_SIGNATURE = "bad_signature", "Rejected: bad or missing signature"
        UNKNOWN_STORE = "unknown_store", "Rejected: unknown store"
        MALFORMED = "malformed", "Rejected: not a JSON envelope"
        ANSWERED = "answered", "Answered (validation)"

    store = models.ForeignKey("storefront.Store", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="friendbuy_deliveries")
    kind = models.CharField(max_length=10, choices=Kind.choices, db_index=True)
    public_id = models.CharField(max_length=64, help_text="The id in the URL, as received.")
    webhook_id = models.CharField(max_length=64, blank=True, help_text="Envelope id (per call, not per event).")
    event_type = models.CharField(max_length=40, blank=True, db_index=True)
    headers = models.JSONField(default=dict, help_text="Request headers; the signature is redacted.")
    body = models.TextField(
        blank=True, help_text="Raw body: whole when the signature verified, else its first 1 KB (see body_sha256)."
    )
    body_truncated = models.BooleanField(default=False, help_text="The stored body is a prefix.")
    body_size = models.PositiveIntegerField(default=0, help_text="Bytes the caller sent (or declared).")
    body_sha256 = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 (hex) of the whole body; empty when too large to read."
    )
    remote_ip = models.GenericIPAddressField(null=True, blank=True)
    valid = models.BooleanField(default=False, help_text="Signature verified.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True, help_text="What we answered.")
    error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Processing attempts (including replays).")
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True,
                                           help_text="When a failed delivery is processed again.")
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "Friendbuy deliveries"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.event_type or ''} #{self.pk}".strip()

    @property
    def created_at(self):
        return self.received_at


class FriendbuyWebhookItem(models.Model):
    """One element of a webhook's data[] and what became of it."""

    class Status(models.TextChoices):
        PROCESSED = "processed", "Processed"
        DUPLICATE = "duplicate", "Duplicate (already known)"
        INVALID = "invalid", "Invalid (recorded, nothing done)"
        RECORDED = "recorded", "Recorded only (type not acted on)"
        FAILED = "failed", "Failed"

    delivery = models.ForeignKey(FriendbuyDelivery, on_delete=models.CASCADE, related_name="items")
    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="friendbuy_webhook_items")
    index = models.PositiveIntegerField()
    type = models.CharField(max_length=40, db_index=True)
    natural_key = models.CharField(max_length=120, blank=True, help_text="rewardId / eventId / transactionId.")
    status = models.CharField(max_length=10, choices=Status.choices)
    error = models.TextField(blank=True)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["delivery", "index"]
        constraints = [models.UniqueConstraint(fields=["delivery", "index"], name="uniq_webhook_item_index")]

    def __str__(self) -> str:
        return f"{self.type} {self.natural_key} ({self.status})"


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


class EmailOptOut(models.Model):
    """A friend unsubscribed from share emails (emailOptOut webhook)."""

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="friendbuy_opt_outs")
    email = models.CharField(max_length=254)
    campaign_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "email", "campaign_id"], name="uniq_email_opt_out"),
        ]

    def __str__(self) -> str:
        return f"Opt-out {self.pk}"


class ValidationCallback(models.Model):
    """One reward validation callback and our answer (the HTTP status is Friendbuy's decision)."""

    store = models.ForeignKey("storefront.Store", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="validation_callbacks")
    delivery = models.OneToOneField(FriendbuyDelivery, on_delete=models.CASCADE, related_name="validation")
    bc_order_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    order_reference = models.CharField(max_length=64, blank=True, help_text="Order id as Friendbuy sent it.")
    event_type = models.CharField(max_length=40, blank=True)
    recipient_type = models.CharField(max_length=20, blank=True)
    campaign_id = models.CharField(max_length=64, blank=True)
    advocate_customer_id = models.CharField(max_length=64, blank=True)
    advocate_email = models.CharField(max_length=254, blank=True)
    answer_status = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=255, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Validation {self.order_reference or '-'} → {self.answer_status}"


class LoyaltyEvent(models.Model):
    """A custom earning event (review, birthday…) owed to Friendbuy; local idempotency per deduplication id."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (will retry)"

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="loyalty_events")
    deduplication_id = models.CharField(max_length=120)
    event_type = models.CharField(max_length=60)
    customer_id = models.CharField(max_length=64)
    email = models.CharField(max_length=254, blank=True)
    properties = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    friendbuy_event_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["store", "deduplication_id"], name="uniq_loyalty_event_dedup"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.deduplication_id} ({self.state})"
