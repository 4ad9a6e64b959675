"""python manage.py backfill_orders STORE_HASH --since YYYY-MM-DD [--send-purchases --send-after YYYY-MM-DD] [--queue]

Streams the store's orders created since the date through the same service as webhooks (snapshots,
identities, first-paid dates) and records them as history: no purchase goes to Friendbuy unless
asked with --send-purchases, and then only for orders first paid on or after --send-after.
Safe to run twice. With --queue the workers do it instead (bulk queue, a task per window of orders).
"""

from datetime import UTC, datetime
from email.utils import format_datetime

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from referrals.orders.backfill import orders_backfill, orders_backfill_queue
from storefront.clients import bigcommerce_for
from storefront.selectors import store_by_hash


class Command(BaseCommand):
    help = (
        "Record a store's orders created since a date as history (no purchases sent to Friendbuy "
        "unless --send-purchases)."
    )

    def add_arguments(self, parser):
        parser.add_argument("store_hash")
        parser.add_argument("--since", required=True, help="YYYY-MM-DD (UTC)")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (logs, cron).")
        parser.add_argument(
            "--send-purchases",
            action="store_true",
            help="Also send Friendbuy the purchases of orders first paid on or after --send-after.",
        )
        parser.add_argument("--send-after", help="YYYY-MM-DD (UTC); required with --send-purchases.")
        parser.add_argument(
            "--queue",
            action="store_true",
            help="Queue the backfill for the workers (bulk queue, a task per window of orders) and return.",
        )

    def handle(self, *args, store_hash, since, no_progress, send_purchases, send_after, queue=False, **options):
        store = store_by_hash(store_hash=store_hash)
        if store is None or not store.is_installed:
            raise CommandError(f"No installed store {store_hash!r}.")
        since_at = _date(since, "--since")
        if send_after and not send_purchases:
            raise CommandError("--send-after only applies with --send-purchases.")
        send_after_at = None
        if send_purchases:
            if not send_after:
                raise CommandError("--send-purchases needs --send-after YYYY-MM-DD: the first paid date to send.")
            send_after_at = _date(send_after, "--send-after")
            self.stderr.write(self.style.WARNING(SEND_WARNING.format(date=send_after)))
        if queue:
            orders_backfill_queue(store=store, since=since_at, send_after=send_after_at)
            self.stdout.write(self.style.SUCCESS("Backfill queued for the workers (bulk queue)."))
            return
        total = bigcommerce_for(store).count_orders(min_date_created=format_datetime(since_at))
        with tqdm(total=total or None, unit="order", disable=no_progress, file=self.stderr._out) as bar:
            counts = orders_backfill(
                store=store,
                since=since_at,
                on_order=lambda order_id: bar.update(1),
                send_after=send_after_at,
            )
        sent = f"purchases sent for orders paid since {send_after}" if send_purchases else "no purchases sent"
        self.stdout.write(
            self.style.SUCCESS(
                f"Backfilled {counts['orders']} orders ({counts['paid']} paid, {counts['errors']} errors); {sent}."
            )
        )


SEND_WARNING = (
    "Warning: Friendbuy's purchase event carries no date, so every order sent now counts as a purchase made "
    "today. Loyalty earning rules (points per purchase) and referral rewards may pay out on these old "
    "orders. Sending the purchases of orders first paid on or after {date}."
)


def _date(value: str, flag: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError as exc:
        raise CommandError(f"{flag} must look like 2024-01-31.") from exc
