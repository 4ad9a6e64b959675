"""State of the fake BigCommerce: stores, orders, customers, hooks, scripts, promotions and codes.

Resources are kept as spec-shaped JSON documents (what the API would answer), with the few columns
the fake filters or enforces uniqueness on pulled out beside them.
"""

import uuid

from django.db import models


class FakeStore(models.Model):
    store_hash = models.CharField(max_length=64, unique=True)
    store_id = models.CharField(max_length=16, help_text="Numeric store id sent as store_id in webhooks.")
    access_token = models.CharField(max_length=128, blank=True, help_text="The one token this fake accepts.")
    client_id = models.CharField(max_length=128, blank=True, help_text="The app the token belongs to.")
    scope = models.TextField(blank=True)
    info = models.JSONField(
        default=dict, blank=True, help_text="GET /v2/store fields that differ from the defaults (name, domain…)."
    )
    next_order_id = models.PositiveIntegerField(default=100)
    next_line_id = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    # The API's per-store quota (sandbox.bigcommerce.rate_limits): None is unmetered.
    rate_limit_quota = models.PositiveIntegerField(
        null=True, blank=True, help_text="Requests per window, answered 429 past it; empty: unmetered."
    )
    rate_limit_window_ms = models.PositiveIntegerField(default=30_000, help_text="The quota's window (ms).")
    rate_limit_window = models.BigIntegerField(default=0, help_text="The window counted (epoch ms // window).")
    rate_limit_used = models.PositiveIntegerField(default=0, help_text="Requests counted in that window.")

    def __str__(self) -> str:
        return self.store_hash


class FakeInstallCode(models.Model):
    """A one-time OAuth code, as BigCommerce passes to the app's /auth callback."""

    store = models.ForeignKey(FakeStore, on_delete=models.CASCADE, related_name="install_codes")
    code = models.CharField(max_length=64, unique=True)
    scope = models.TextField()
    user = models.JSONField(default=dict)
    owner = models.JSONField(default=dict)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"code for {self.store_id}"


class FakeCustomer(models.Model):
    store = models.ForeignKey(FakeStore, on_delete=models.CASCADE, related_name="customers")
    email = models.EmailField(db_index=True)
    data = models.JSONField(default=dict, help_text="customer_Full without id.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.email


class FakeOrder(models.Model):
    store = models.ForeignKey(FakeStore, on_delete=models.CASCADE, related_name="orders")
    order_id = models.PositiveIntegerField()
    data = models.JSONField(default=dict, help_text="order_Resp as v2 answers it.")
    products = models.JSONField(default=list)
    coupons = models.JSONField(default=list)
    shipping_addresses = models.JSONField(default=list)
    transactions = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "order_id"], name="sandbox_bc_uniq_order")]

    def __str__(self) -> str:
        return f"order {self.order_id}"


class FakeRefund(models.Model):
    store = models.ForeignKey(FakeStore, on_delete=models.CASCADE, related_name="refunds")
    order_id = models.PositiveIntegerField(db_index=True)
    data = models.JSONField(default=dict, help_text="Refund without id.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"refund {self.pk} of order {self.order_id}"


class FakeHook(models.Model):
    store = models.ForeignKey(FakeStore, on_delete=models.CASCADE, related_name="hooks")
    client_id = models.CharField(max_length=128)
    scope = models.CharField(max_length=255)
    destination = models.URLField(max_length=500)
    is_active = models.BooleanField(default=True)
    headers = models.JSONField(null=True, blank=True)
    created_at = models.PositiveIntegerField()
    updated_at = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.scope} → {self.destination}"


class FakeScript(models.Model):
    store = models.ForeignKey(FakeStore, on_delete=models.CASCADE, related_name="scripts")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True)
    client_id = models.CharField(max_length=128)
    data = models.JSONField(default=dict, help_text="script_Full without uuid.")

    def __str__(self) -> str:
        return str(self.data.get("name", self.uuid))


class FakePromotion(models.Model):
    store = models.ForeignKey(FakeStore, on_delete=models.CASCADE, related_name="promotions")
    data = models.JSONField(
        default=dict, help_text="SavedCouponPromotion/SavedAutomaticPromotion without id."
    )

    def __str__(self) -> str:
        return str(self.data.get("name", self.pk))


class FakeCouponCode(models.Model):
    store = models.ForeignKey(FakeStore, on_delete=models.CASCADE, related_name="coupon_codes")
    promotion = models.ForeignKey(FakePromotion, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(max_length=50)
    max_uses = models.PositiveIntegerField(default=0)
    max_uses_per_customer = models.PositiveIntegerField(default=0)
    current_uses = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Codes are unique per store regardless of case, as the storefront matches them.
        constraints = [models.UniqueConstraint(fields=["store", "code"], name="sandbox_bc_uniq_code")]

    def __str__(self) -> str:
        return self.code


class FakeCustomerGroup(models.Model):
    """A customer group (customers.v2.yml customerGroup_Full without id)."""

    store = models.ForeignKey(FakeStore, on_delete=models.CASCADE, related_name="customer_groups")
    name = models.CharField(max_length=255)
    data = models.JSONField(default=dict, help_text="customerGroup_Full without id and name.")

    class Meta:
        # BigCommerce refuses a second group of the same name (409).
        constraints = [models.UniqueConstraint(fields=["store", "name"], name="sandbox_bc_uniq_group_name")]

    def __str__(self) -> str:
        return self.name


class FakeSubscriber(models.Model):
    """A newsletter subscriber (subscribers.v3.yml subscriber_Full without id); email unique per store."""

    store = models.ForeignKey(FakeStore, on_delete=models.CASCADE, related_name="subscribers")
    email = models.EmailField()
    data = models.JSONField(default=dict, help_text="subscriber_Full without id.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "email"], name="sandbox_bc_uniq_subscriber")]

    def __str__(self) -> str:
        return self.email


class FakeCustomerAttribute(models.Model):
    """A customer attribute definition (customers.v3.yml Customer Attribute); values live on the customer
    (FakeCustomer.data["attributes"], as `include=attributes` shows them)."""

    store = models.ForeignKey(FakeStore, on_delete=models.CASCADE, related_name="customer_attributes")
    name = models.CharField(max_length=255)
    type = models.CharField(max_length=10, default="string")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "name"], name="sandbox_bc_uniq_attribute")]

    def __str__(self) -> str:
        return self.name


class FakeGiftCertificate(models.Model):
    """A gift certificate (marketing.v2 giftCertificate_Full without id); codes are unique per store."""

    store = models.ForeignKey(FakeStore, on_delete=models.CASCADE, related_name="gift_certificates")
    code = models.CharField(max_length=20, help_text="As stored: BigCommerce keeps the first 20 characters.")
    data = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "code"], name="sandbox_bc_uniq_gift_certificate")]

    def __str__(self) -> str:
        return self.code


class FakeChannel(models.Model):
    """A sales channel (channels.v3.yml ChannelWithoutCurrencies without id); channel 1 is the default
    storefront every store has."""

    store = models.ForeignKey(FakeStore, on_delete=models.CASCADE, related_name="channels")
    channel_id = models.PositiveIntegerField()
    data = models.JSONField(default=dict, help_text="ChannelWithoutCurrencies without id.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "channel_id"], name="sandbox_bc_uniq_channel")]

    def __str__(self) -> str:
        return f"channel {self.channel_id}"


class FakeSite(models.Model):
    """A channel's site (sites.v3.yml `_site` without id): its URL and typed URLs; the site id is the pk."""

    store = models.ForeignKey(FakeStore, on_delete=models.CASCADE, related_name="sites")
    channel_id = models.PositiveIntegerField()
    data = models.JSONField(default=dict, help_text="_site without id and channel_id.")

    class Meta:
        # "each channel can have either zero or one sites" (channels.v3.yml site_Post).
        constraints = [models.UniqueConstraint(fields=["store", "channel_id"], name="sandbox_bc_uniq_site")]

    def __str__(self) -> str:
        return str(self.data.get("url", self.pk))


class FakeProduct(models.Model):
    """A catalog product (products_catalog.v3.yml product_Full without id); the id is the pk."""

    store = models.ForeignKey(FakeStore, on_delete=models.CASCADE, related_name="products")
    data = models.JSONField(default=dict, help_text="product_Full without id (reviews_count is computed).")

    def __str__(self) -> str:
        return str(self.data.get("name", self.pk))


class FakeProductReview(models.Model):
    """A product review (products_catalog.v3.yml Product Review without id and product_id); the id is the pk,
    so it "increments sequentially" store-wide as the spec says."""

    store = models.ForeignKey(FakeStore, on_delete=models.CASCADE, related_name="product_reviews")
    product = models.ForeignKey(FakeProduct, on_delete=models.CASCADE, related_name="reviews")
    status = models.CharField(max_length=12, default="pending", help_text="approved, disapproved or pending.")
    data = models.JSONField(default=dict, help_text="title, text, rating, email, name, date_reviewed, date_*.")

    def __str__(self) -> str:
        return f"review {self.pk} of product {self.product_id} ({self.status})"
