"""State of the fake Friendbuy Merchant API: merchants, campaigns, tokens and everything the app sent.

Sandbox only (demo and tests): the secrets here are fake and stored in clear on purpose.
"""

import secrets
import uuid

from django.db import models


def new_uuid() -> str:
    return str(uuid.uuid4())


def new_token() -> str:
    return "fbsbx_" + secrets.token_urlsafe(32)


class FakeMerchant(models.Model):
    merchant_id = models.CharField(max_length=64, unique=True, default=new_uuid)
    api_key = models.CharField(max_length=128, unique=True, default=new_uuid)
    api_secret = models.CharField(max_length=128, default=new_uuid)
    webhook_secret = models.CharField(max_length=128, default=new_uuid, help_text="The Friendbuy Secret Key.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Fake merchant {self.merchant_id}"


class FakeCampaign(models.Model):
    merchant = models.ForeignKey(FakeMerchant, on_delete=models.CASCADE, related_name="campaigns")
    campaign_id = models.CharField(max_length=64, unique=True, default=new_uuid)
    name = models.CharField(max_length=200, default="Referral Campaign")
    active = models.BooleanField(default=True)
    is_default = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name


class FakeToken(models.Model):
    token = models.CharField(max_length=128, unique=True, default=new_token)
    merchant = models.ForeignKey(FakeMerchant, on_delete=models.CASCADE, related_name="tokens")
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Token for {self.merchant_id} until {self.expires_at:%H:%M:%S}"


class FakeEvent(models.Model):
    """One write the app made: an event or a customer profile, exactly as posted."""

    class Kind(models.TextChoices):
        PURCHASE = "purchase", "Purchase"
        SIGN_UP = "account-sign-up", "Account sign-up"
        CUSTOM = "custom", "Custom event"
        CUSTOMER = "customer", "Customer"

    merchant = models.ForeignKey(FakeMerchant, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    event_id = models.CharField(max_length=64, unique=True, default=new_uuid)
    customer_id = models.CharField(max_length=200, blank=True, db_index=True)
    email = models.CharField(max_length=254, blank=True, db_index=True)
    payload = models.JSONField()
    created_on = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_id}"


class FakeReferralLink(models.Model):
    """A personal referral link (PURL); one per (campaign, advocate email)."""

    merchant = models.ForeignKey(FakeMerchant, on_delete=models.CASCADE, related_name="links")
    campaign = models.ForeignKey(FakeCampaign, on_delete=models.CASCADE, related_name="links")
    email = models.CharField(max_length=254)
    customer_id = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=200, blank=True)
    code = models.CharField(max_length=64)
    link = models.URLField()
    created_on = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "email"], name="fake_purl_per_campaign_email"),
            models.UniqueConstraint(fields=["merchant", "code"], name="fake_purl_code_per_merchant"),
        ]

    def __str__(self) -> str:
        return self.code


class FakeActivity(models.Model):
    """Something shoppers did on Friendbuy's side (share, click, widget view…), recorded by world helpers."""

    class Kind(models.TextChoices):
        WIDGET_VIEW = "widget-views", "Widget view"
        SHARE = "shares", "Share"
        CLICK = "clicks", "Click"
        EMAIL_CAPTURE = "email-captures", "Email capture"
        ADVOCATE_REWARD = "distributed-advocate-rewards", "Distributed advocate reward"
        FRIEND_INCENTIVE = "distributed-friend-incentives", "Distributed friend incentive"

    merchant = models.ForeignKey(FakeMerchant, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    data = models.JSONField(help_text="The analytics record as MAPI returns it.")
    created_on = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class FakeLedger(models.Model):
    merchant = models.ForeignKey(FakeMerchant, on_delete=models.CASCADE, related_name="ledgers")
    customer_id = models.CharField(max_length=200)
    currency = models.CharField(max_length=3, default="USD")
    total = models.DecimalField(max_digits=12, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "customer_id", "currency"], name="fake_ledger_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.total} {self.currency}"


class FakeDeletion(models.Model):
    """A DELETE /user-data request the app made."""

    merchant = models.ForeignKey(FakeMerchant, on_delete=models.CASCADE, related_name="deletions")
    job_id = models.CharField(max_length=64, unique=True, default=new_uuid)
    email = models.CharField(max_length=254, blank=True)
    customer_id = models.CharField(max_length=200, blank=True)
    created_on = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Deletion {self.job_id}"
