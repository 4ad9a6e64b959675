"""manage.py setup_roles: create or refresh the "Support staff" and "Auditor" groups (idempotent)."""
from django.core.management.base import BaseCommand

from referrals.support.roles import roles_setup


class Command(BaseCommand):
    help = 'Create or refresh the "Support staff" (acts) and "Auditor" (read-only) groups and their permissions.'

    def handle(self, *args, **options):
        for group, count in roles_setup().items():
            self.stdout.write(f"{group}: {count} permissions")
