"""python manage.py reconcile_orders [--store HASH] [--days N]

Compares the last N days of paid BigCommerce orders with the purchase events sent to Friendbuy and
re-queues the gaps; each store's run is recorded as a ReconciliationRun.
"""

from django.core.management.base import BaseCommand, CommandError

from referrals.orders.reconciliation import orders_reconcile, reconcile_all
from storefront.selectors import store_by_hash


class Command(BaseCommand):
    help = "Re-queue purchase events missing for recent paid orders."

    def add_arguments(self, parser):
        parser.add_argument("--store", help="Only this store hash (default: every connected store).")
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args, store, days, **options):
        if store:
            store_obj = store_by_hash(store_hash=store)
            if store_obj is None:
                raise CommandError(f"No store {store!r}.")
            runs = [orders_reconcile(store=store_obj, days=days)]
        else:
            runs = reconcile_all(days=days)
        for run in runs:
            self.stdout.write(
                f"{run.store.store_hash}: {run.orders_checked} paid orders checked, "
                f"{run.gaps_found} gaps, {run.requeued} re-queued"
                + (f", errors: {run.errors}" if run.errors else "")
            )
