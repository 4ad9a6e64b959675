"""python manage.py repair_webhooks [--store HASH]

Re-creates missing BigCommerce hooks, re-activates deactivated ones and fixes drifted destination or
secret headers, for one store or every installed store.
"""

from django.core.management.base import BaseCommand, CommandError

from storefront.selectors import store_by_hash
from storefront.webhooks.registration import webhooks_ensure, webhooks_repair_all


class Command(BaseCommand):
    help = "Make sure every store's BigCommerce webhooks exist, are active and point here."

    def add_arguments(self, parser):
        parser.add_argument("--store", help="Only this store hash.")

    def handle(self, *args, store, **options):
        if not store:
            result = webhooks_repair_all()
            self.stdout.write(f"Checked {result['stores']} stores; {result['errors']} errors.")
            return
        store_obj = store_by_hash(store_hash=store)
        if store_obj is None or not store_obj.is_installed:
            raise CommandError(f"No installed store {store!r}.")
        for subscription in webhooks_ensure(store=store_obj):
            state = "active" if subscription.is_active else f"NOT active: {subscription.last_error}"
            self.stdout.write(f"{subscription.scope}: hook {subscription.bc_hook_id} {state}")
