"""coupons: BigCommerce coupon codes minted for rewards, and their redemptions."""
from django.apps import AppConfig


class CouponsConfig(AppConfig):
    name = "coupons"
    verbose_name = "Coupons"
