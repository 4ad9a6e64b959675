"""python manage.py erase_customer STORE_HASH (--customer-id ID | --email EMAIL) [--yes]

Privacy erasure: asks Friendbuy to delete the shopper's data and blanks our copies (see
referrals.orders.privacy.customer_erase, whose docstring lists where personal data lives).
"""

from django.core.management.base import BaseCommand, CommandError

from referrals.orders.privacy import customer_erase
from storefront.selectors import store_by_hash


class Command(BaseCommand):
    help = "Erase one shopper's personal data here and in Friendbuy."

    def add_arguments(self, parser):
        parser.add_argument("store_hash")
        parser.add_argument("--customer-id", type=int)
        parser.add_argument("--email")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
        parser.add_argument("--actor", default="", help="Who asked (recorded); defaults to 'command'.")

    def handle(self, *args, store_hash, customer_id, email, yes, actor, **options):
        store = store_by_hash(store_hash=store_hash)
        if store is None:
            raise CommandError(f"No store {store_hash!r}.")
        if not customer_id and not email:
            raise CommandError("Give --customer-id or --email.")
        if not yes:
            answer = input("This cannot be undone (Friendbuy deletes irreversibly). Type 'erase' to go on: ")
            if answer.strip() != "erase":
                raise CommandError("Not erased.")
        result = customer_erase(
            store=store, bc_customer_id=customer_id, email=email, actor=f"command:{actor or 'erase_customer'}"
        )
        self.stdout.write(self.style.SUCCESS(f"Erased: {result}"))
