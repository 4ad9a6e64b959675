"""Connect a store to Friendbuy from the shell (support, or before the merchant has opened the app)."""
from django.core.management.base import BaseCommand, CommandError

from referrals.friendbuy.services import FriendbuyConnectError, friendbuy_connect
from storefront.selectors import store_by_hash


class Command(BaseCommand):
    help = ("Check Friendbuy Merchant API credentials against /v1/authorization and, if accepted, save them "
            "as the store's Friendbuy connection.")

    def add_arguments(self, parser):
        parser.add_argument("store_hash")
        parser.add_argument("--merchant-id", required=True, help="Friendbuy merchant id (UUID).")
        parser.add_argument("--key", required=True, help="Merchant API key.")
        parser.add_argument("--secret", required=True, help="Merchant API secret.")
        parser.add_argument("--webhook-secret", required=True,
                            help="Friendbuy Secret Key that signs webhooks.")

    def handle(self, *args, **options):
        store = store_by_hash(store_hash=options["store_hash"])
        if store is None:
            raise CommandError(f"No store with hash {options['store_hash']!r}.")
        try:
            connection = friendbuy_connect(
                store=store, merchant_id=options["merchant_id"], api_key=options["key"],
                api_secret=options["secret"], webhook_secret=options["webhook_secret"],
            )
        except FriendbuyConnectError as exc:
            where = f"{exc.field}: " if exc.field else ""
            raise CommandError(f"{where}{exc.message}") from exc
        self.stdout.write(self.style.SUCCESS(
            f"Store {store.store_hash} is connected to Friendbuy merchant {connection.merchant_id} "
            f"({connection.get_health_display()})."
        ))
