"""Rewards that are not coupons: store credit and gift certificates.

* CreditSettings: per store, which Friendbuy reward types become store credit or a gift certificate, what
  a guest gets, and the certificates' expiry.
* RewardFulfilment: how one such reward reached the shopper (or why it waits), and its reversal.
* StoreCreditAccount / StoreCreditEntry: the local ledger. BigCommerce keeps store credit as one whole
  value per customer (customers.v3 `store_credit_amounts`, written by PUT), with no increment and no
  idempotency key, so every deposit and removal is an entry with a natural unique key, applied by a
  read-add-write under the account's lease, with its intent committed before the write so that a crash
  between BigCommerce's answer and our commit is settled by a recovery check instead of a second write.
"""
from django.db import models

__all__ = ["CreditSettings", "RewardFulfilment", "StoreCreditAccount", "StoreCreditEntry"]


def _default_credit_types() -> list[str]:
    return ["credit"]


def _default_gift_card_types() -> list[str]:
    return ["giftCard"]


class CreditSettings(models.Model):
    """A store's choices for credit and gift card rewards (defaults apply while no row exists)."""

    class CreditAs(models.TextChoices):
        STORE_CREDIT = "store_credit", "Store credit on the customer's account"
        GIFT_CERTIFICATE = "gift_certificate", "A gift certificate to the customer's email"

    class GuestCredit(models.TextChoices):
        GIFT_CERTIFICATE = "gift_certificate", "A gift certificate to the guest's email"
        WAIT = "wait", "Wait until the guest registers (pending, reason shown)"

    store = models.OneToOneField("storefront.Store", on_delete=models.CASCADE, related_name="credit_settings")
    credit_reward_types = models.JSONField(
        default=_default_credit_types, blank=True,
        help_text='Friendbuy rewardType values deposited as credit, e.g. ["credit", "ledger"] when loyalty '
                  "redemptions are configured as credit.",
    )
    gift_card_reward_types = models.JSONField(
        default=_default_gift_card_types, blank=True,
        help_text='Friendbuy rewardType values issued as a BigCommerce gift certificate, e.g. ["giftCard"].',
    )
    credit_as = models.CharField(max_length=16, choices=CreditAs.choices, default=CreditAs.STORE_CREDIT)
    guest_credit = models.CharField(max_length=16, choices=GuestCredit.choices,
                                    default=GuestCredit.GIFT_CERTIFICATE,
                                    help_text="Store credit needs an account: what a guest gets instead.")
    gift_certificate_expiry_days = models.PositiveIntegerField(
        default=365, help_text="Days a gift certificate stays valid (0 = never expires).")
    gift_certificate_from_name = models.CharField(max_length=100, blank=True,
                                                  help_text="Sender name on certificates (default: the store).")
    gift_certificate_from_email = models.CharField(max_length=254, blank=True,
                                                   help_text="Sender email on certificates.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "Credit settings"

    def __str__(self) -> str:
        return f"Credit settings of {self.store_id}"


class RewardFulfilment(models.Model):
    """One credit or gift card reward's delivery in BigCommerce, and its reversal."""

    class Kind(models.TextChoices):
        STORE_CREDIT = "store_credit", "Store credit"
        GIFT_CERTIFICATE = "gift_certificate", "Gift certificate"

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting (reason shown)"
        DELIVERING = "delivering", "Delivering"
        DELIVERED = "delivered", "Delivered"
        REVERSED = "reversed", "Reversed"
        FAILED = "failed", "Failed (needs staff)"

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="reward_fulfilments")
    reward = models.OneToOneField("referrals.Reward", on_delete=models.CASCADE, related_name="fulfilment")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    state = models.CharField(max_length=12, choices=State.choices, default=State.DELIVERING, db_index=True)
    reason = models.TextField(blank=True, help_text="Why it waits or failed, in plain words.")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, blank=True)
    bc_customer_id = models.BigIntegerField(null=True, blank=True, help_text="The registered customer credited.")
    email = models.CharField(max_length=254, blank=True, help_text="The recipient of a gift certificate.")
    gift_certificate_code = models.CharField(max_length=20, blank=True, db_index=True,
                                             help_text="Derived from the reward before creation, so a retry "
                                                       "finds the certificate instead of making a second one.")
    gift_certificate_id = models.BigIntegerField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    reversed_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0,
                                          help_text="Credit removed or certificate balance disabled.")
    clawback_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0,
                                          help_text="Already spent when the order was reversed: not recovered.")
    checked_at = models.DateTimeField(null=True, blank=True, help_text="Last look at a waiting reward.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for reward {self.reward_id} ({self.state})"


class StoreCreditAccount(models.Model):
    """One registered customer's store credit as far as this app knows; its lease is the per-customer lock."""

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="store_credit_accounts")
    bc_customer_id = models.BigIntegerField()
    balance = models.DecimalField(max_digits=12, decimal_places=2, default=0,
                                  help_text="BigCommerce's balance after our last confirmed write or read.")
    synced_at = models.DateTimeField(null=True, blank=True)
    lock_token = models.CharField(max_length=32, blank=True, help_text="Who holds the lease (empty: nobody).")
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "bc_customer_id"], name="uniq_store_credit_account")]

    def __str__(self) -> str:
        return f"Store credit of customer {self.bc_customer_id}"


class StoreCreditEntry(models.Model):
    """One deposit or removal owed to BigCommerce, applied at most once (unique per store and key)."""

    class Kind(models.TextChoices):
        DEPOSIT = "deposit", "Deposit"
        REMOVAL = "removal", "Removal"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        WRITING = "writing", "Writing (intent recorded; settled by the recovery check)"
        APPLIED = "applied", "Applied"
        CANCELLED = "cancelled", "Cancelled (never written)"
        HELD = "held", "Held: BigCommerce's balance explains neither outcome (staff decide)"

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="store_credit_entries")
    account = models.ForeignKey(StoreCreditAccount, on_delete=models.CASCADE, related_name="entries")
    reward = models.ForeignKey("referrals.Reward", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="store_credit_entries")
    key = models.CharField(max_length=160, help_text="Natural key, e.g. reward:<id>:deposit.")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2, help_text="Wanted (positive).")
    applied_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True,
                                         help_text="Moved: a removal never takes the balance below zero.")
    shortfall = models.DecimalField(max_digits=12, decimal_places=2, default=0,
                                    help_text="A removal's part already spent (recorded as a clawback).")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    balance_before = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True,
                                         help_text="BigCommerce's balance read under the lease.")
    balance_after = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True,
                                        help_text="The whole value written.")
    intent_at = models.DateTimeField(null=True, blank=True, help_text="When the write was about to be sent.")
    applied_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    detail = models.TextField(blank=True, help_text="What the recovery check saw, errors.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["store", "key"], name="uniq_store_credit_entry_key")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} ({self.state})"
