"""python manage.py backfill_orders STORE_HASH --since YYYY-MM-DD

Streams the store's orders created since the date through the same service as webhooks (snapshot,
events, outbox), so it is safe to run twice: only what is missing is sent.
"""

from datetime import UTC, datetime
from email.utils import format_datetime

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from referrals.orders.backfill import orders_backfill
from storefront.clients import bigcommerce_for
from storefront.selectors import store_by_hash


class Command(BaseCommand):
    help = "Import (and send what is missing of) a store's orders created since a date."

    def add_arguments(self, parser):
        parser.add_argument("store_hash")
        parser.add_argument("--since", required=True, help="YYYY-MM-DD (UTC)")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (logs, cron).")

    def handle(self, *args, store_hash, since, no_progress, **options):
        store = store_by_hash(store_hash=store_hash)
        if store is None or not store.is_installed:
            raise CommandError(f"No installed store {store_hash!r}.")
        try:
            since_at = datetime.strptime(since, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError as exc:
            raise CommandError("--since must look like 2024-01-31.") from exc
        total = bigcommerce_for(store).count_orders(min_date_created=format_datetime(since_at))
        with tqdm(total=total or None, unit="order", disable=no_progress, file=self.stderr._out) as bar:
            counts = orders_backfill(store=store, since=since_at, on_order=lambda order_id: bar.update(1))
        self.stdout.write(
            self.style.SUCCESS(
                f"Backfilled {counts['orders']} orders ({counts['paid']} paid, {counts['errors']} errors)."
            )
        )
