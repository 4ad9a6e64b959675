"""Mint a pool of one-time BigCommerce codes (codegen) for a Friendbuy Code Bank, and export its CSV."""
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError

from storefront.bigcommerce import BigCommerceError
from storefront.selectors import store_by_hash

from ...models import CouponTemplate
from ...selectors import pool_counts
from ...services import (
    DEFAULT_TEMPLATE_NAME,
    coupon_template_default,
    pool_create,
    pool_export_csv,
    pool_mint,
    pool_refill_to_set,
)


class Command(BaseCommand):
    help = ("Mint N single-use codes with POST /v3/promotions/{id}/codegen (batches of 250) on a BULK coupon "
            "promotion, keep them as a code pool, and optionally write the CSV Friendbuy's Code Bank upload "
            "expects (codes in column 1, no header).")

    def add_arguments(self, parser):
        parser.add_argument("store_hash")
        parser.add_argument("--template", required=True, help="Coupon template name (rules: min spend, expiry, prefix).")
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--amount", default="10", help="Value of each code (default 10).")
        parser.add_argument("--unit", default="", help="Currency code or %% (default: the store's currency).")
        parser.add_argument("--pool", default="", help="Pool name (default: <template>-<amount><unit>).")
        parser.add_argument("--threshold", type=int, default=50, help="Low-stock warning threshold.")
        parser.add_argument("--refill-to", type=int, default=0, help="Beat refills to this many (0 = off).")
        parser.add_argument("--csv", default="", help="Write the pool's available codes to this path.")

    def handle(self, *args, **options):
        store = store_by_hash(store_hash=options["store_hash"])
        if store is None:
            raise CommandError(f"No store with hash {options['store_hash']!r}.")
        if options["count"] < 1:
            raise CommandError("--count must be at least 1.")
        try:
            amount = Decimal(options["amount"])
        except InvalidOperation as exc:
            raise CommandError("--amount must be a number.") from exc
        if not amount.is_finite() or amount <= 0:
            raise CommandError("--amount must be positive.")
        template = CouponTemplate.objects.filter(store=store, name=options["template"]).first()
        if template is None and options["template"] == DEFAULT_TEMPLATE_NAME:
            template = coupon_template_default(store=store)
        if template is None:
            raise CommandError(f"No coupon template {options['template']!r} for {store}.")
        unit = options["unit"] or store.default_currency
        name = options["pool"] or f"{template.name}-{amount.normalize()}{unit}"
        try:
            # The refill target is set once the codes asked for exist: set first, beat's refill could top a
            # new, empty pool up to it while this mints, and the pool would end with both.
            pool = pool_create(store=store, template=template, name=name, amount=amount, unit=unit,
                               low_threshold=options["threshold"])
            minted = pool_mint(pool=pool, count=options["count"])
            if options["refill_to"]:
                pool = pool_refill_to_set(pool=pool, refill_to=options["refill_to"])
        except BigCommerceError as exc:
            raise CommandError(f"BigCommerce refused: {exc}") from exc
        counts = pool_counts(pool=pool)
        self.stdout.write(f"Pool {pool.name}: minted {minted}; available {counts['available']}, "
                          f"handed out {counts['handed_out']}, redeemed {counts['redeemed']}.")
        if options["csv"]:
            with open(options["csv"], "w", newline="", encoding="utf-8") as stream:
                rows = pool_export_csv(pool=pool, stream=stream)
            self.stdout.write(f"Wrote {rows} codes to {options['csv']}.")
