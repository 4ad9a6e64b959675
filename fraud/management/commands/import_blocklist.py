"""python manage.py import_blocklist STORE_HASH FILE.csv — columns kind,value,reason; bad rows reported."""
from django.core.management.base import BaseCommand, CommandError

from fraud.services import block_list_import_csv
from storefront.models import Store


class Command(BaseCommand):
    help = "Import a fraud block list (CSV: kind,value,reason) into one store."

    def add_arguments(self, parser):
        parser.add_argument("store_hash")
        parser.add_argument("file")

    def handle(self, *args, store_hash: str, file: str, **options):
        store = Store.objects.filter(store_hash=store_hash).first()
        if store is None:
            raise CommandError(f"No store {store_hash}")
        try:
            with open(file, encoding="utf-8-sig") as handle:
                text = handle.read()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        report = block_list_import_csv(store_id=store.pk, text=text, created_by="import_blocklist")
        for error in report.errors:
            self.stderr.write(error)
        self.stdout.write(f"{report.added} added, {report.existing} already listed, {len(report.errors)} bad row(s)")
