"""Print a store's install, Friendbuy and BigCommerce wiring (hooks and scripts read live)."""
import json

from django.core.management.base import BaseCommand, CommandError

from referrals.friendbuy.selectors import store_status
from storefront.selectors import store_by_hash


class Command(BaseCommand):
    help = "Show a store's install status, Friendbuy connection health, its URLs, webhooks and scripts."

    def add_arguments(self, parser):
        parser.add_argument("store_hash")
        parser.add_argument("--json", action="store_true", help="Print machine-readable JSON.")

    def handle(self, *args, **options):
        store = store_by_hash(store_hash=options["store_hash"])
        if store is None:
            raise CommandError(f"No store with hash {options['store_hash']!r}.")
        status = store_status(store=store)
        if options["json"]:
            self.stdout.write(json.dumps(status, indent=2, default=str))
            return
        self._summary(status)

    def _summary(self, status: dict) -> None:
        write = self.stdout.write
        installed = status["installed_at"] or "never"
        write(f"Store {status['store_hash']}: {status['status']} (installed {installed})")
        if status["scopes_missing"]:
            write(self.style.WARNING(f"Scopes missing: {' '.join(status['scopes_missing'])} "
                                     "(the merchant must re-authorise the app)"))
        if status["friendbuy_connected"]:
            write(f"Friendbuy: merchant {status['friendbuy_merchant_id']}, "
                  f"health {status['friendbuy_health']}, "
                  f"last checked {status['friendbuy_last_checked_at'] or 'never'}")
            if status["friendbuy_last_error"]:
                write(f"  last error: {status['friendbuy_last_error']}")
        else:
            write("Friendbuy: not connected")
        write(f"Friendbuy webhook URL:    {status['friendbuy_webhook_url']}")
        write(f"Friendbuy validation URL: {status['friendbuy_validation_url']}")
        write(f"BigCommerce webhook URL:  {status['bigcommerce_webhook_url']}")
        write(f"Webhooks ({len(status['webhooks'])}):")
        for hook in status["webhooks"]:
            write(f"  {'active  ' if hook['active'] else 'inactive'} {hook['scope']}")
        write(f"Storefront URL: {status['storefront_url'] or 'unknown'}")
        write(f"Channels ({len(status['channels'])}):")
        for channel in status["channels"]:
            scripts = "scripts" if channel["takes_scripts"] else "no scripts"
            write(f"  {channel['id']} {channel['name']} ({channel['type']}, {channel['status']}, {scripts}) "
                  f"{' '.join(channel['urls'])}")
        write(f"Scripts ({len(status['scripts'])}):")
        for script in status["scripts"]:
            write(f"  {'enabled ' if script['enabled'] else 'disabled'} {script['name']} on channel "
                  f"{script['channel_id']} ({script['uuid']})")
        for row in status["scripts_not_installed"]:
            write(self.style.WARNING(f"  {row['status']} {row['name']} on channel {row['channel_id']}: "
                                     f"{row['last_error']}"))
        for error in status["errors"]:
            write(self.style.WARNING(f"! {error}"))
