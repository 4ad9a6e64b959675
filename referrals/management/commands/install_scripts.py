"""Install (or re-check) a store's storefront scripts, or remove them.

    install_scripts STORE_HASH [--remove]
"""

from django.core.management.base import BaseCommand, CommandError

from storefront.bigcommerce import BigCommerceError
from storefront.models import Store
from storefront.scripts import scripts_ensure, scripts_remove


class Command(BaseCommand):
    help = "Ensure (create, repair) the app's storefront scripts for a store, or remove them with --remove."

    def add_arguments(self, parser):
        parser.add_argument("store_hash")
        parser.add_argument(
            "--remove", action="store_true", help="Delete the scripts instead of ensuring them."
        )

    def handle(self, *args, store_hash: str, remove: bool, **options):
        store = Store.objects.filter(store_hash=store_hash).first()
        if store is None:
            raise CommandError(f"No store {store_hash!r}.")
        try:
            if remove:
                scripts_remove(store=store)
                self.stdout.write(self.style.SUCCESS(f"Removed the storefront scripts of {store_hash}."))
                return
            if not store.is_installed:
                raise CommandError(f"Store {store_hash} is not installed.")
            rows = scripts_ensure(store=store)
        except BigCommerceError as exc:
            raise CommandError(str(exc)) from exc
        for row in rows:
            self.stdout.write(f"{row.name}: {row.bc_uuid} ({'enabled' if row.enabled else 'disabled'})")
        self.stdout.write(self.style.SUCCESS(f"{len(rows)} scripts in place for {store_hash}."))
