"""Staff roles: "Support staff" (every store, sees everything, runs support actions) and "Auditor"
(every store, read-only). Merchants are StoreUsers and only ever see their own store through the
load page (storefront.session.store_user_required), so they need no group here.

`roles_setup` is idempotent; it runs after every migrate of this app and from `manage.py setup_roles`.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db.models.signals import post_migrate
from django.dispatch import receiver

SUPPORT_GROUP = "Support staff"
AUDITOR_GROUP = "Auditor"
# The apps whose data support reads (and whose models the admin shows).
SUPPORT_APPS = ("storefront", "referrals", "coupons", "fraud")
LOOKUP_PERMISSION = "referrals.use_support_lookup"
ACTION_PERMISSION = "referrals.run_support_actions"


def _view_permissions() -> list[Permission]:
    return list(Permission.objects.filter(content_type__app_label__in=SUPPORT_APPS, codename__startswith="view_"))


def _custom(codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label="referrals", codename=codename)


def roles_setup(*, apps=global_apps) -> dict[str, int]:
    """Create or refresh the two groups; returns how many permissions each holds."""
    for label in SUPPORT_APPS:
        # Permissions are created by auth's own post_migrate per app; make sure they exist now.
        create_permissions(apps.get_app_config(label), verbosity=0)
    views = _view_permissions()
    lookup, act = _custom("use_support_lookup"), _custom("run_support_actions")
    support, _ = Group.objects.get_or_create(name=SUPPORT_GROUP)
    support.permissions.set([*views, lookup, act])
    auditor, _ = Group.objects.get_or_create(name=AUDITOR_GROUP)
    auditor.permissions.set([*views, lookup])
    return {SUPPORT_GROUP: support.permissions.count(), AUDITOR_GROUP: auditor.permissions.count()}


@receiver(post_migrate, dispatch_uid="referrals_roles_setup")
def _after_migrate(sender, **kwargs) -> None:
    if getattr(sender, "name", "") == "referrals":
        roles_setup()


def can_view_support(user) -> bool:
    return bool(user and user.is_active and user.is_staff and user.has_perm(LOOKUP_PERMISSION))


def can_run_actions(user) -> bool:
    return bool(user and user.is_active and user.is_staff and user.has_perm(ACTION_PERMISSION))
