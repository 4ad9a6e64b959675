"""Staff roles: "Support staff" (every store, sees everything, runs support actions) and "Auditor"
(every store, read-only). Operators are superusers: they hold every permission, so every action.
Merchants are StoreUsers and only ever see their own store through the load page
(storefront.session.store_user_required), so they need no group here.

`roles_setup` is idempotent; it runs after every migrate of this app and from `manage.py setup_roles`.

`WRITE_MATRIX` is the one list of who may run which write in the admin: tests/test_admin_roles.py walks
every registered admin action, support action and custom admin page against it (and fails on any not
listed), and the README's "Roles" table is `roles_table()`. Enforcement is Django's own permissions
(storefront.admin_base.ActionPermissionsMixin); this list is what they must add up to.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from storefront.admin_base import SUPPORT_ACTION_PERMISSION

SUPPORT_GROUP = "Support staff"
AUDITOR_GROUP = "Auditor"
OPERATOR = "Operator (superuser)"
# The apps whose data support reads (and whose models the admin shows).
SUPPORT_APPS = ("storefront", "referrals", "coupons", "fraud")
LOOKUP_PERMISSION = "referrals.use_support_lookup"
ACTION_PERMISSION = SUPPORT_ACTION_PERMISSION

SUPPORT = frozenset({SUPPORT_GROUP})
OPERATORS_ONLY: frozenset[str] = frozenset()

# Key → (what it is, the roles besides operators that may run it). Keys: "<app>.<model>.<action>" for an
# admin changelist action ("*.delete_selected": Django's bulk delete on every model that allows deleting),
# "support:<name>" for a lookup-page support action, "page:<url name>" for a custom admin page that writes.
# The Auditor is in no row: it writes nothing.
WRITE_MATRIX: dict[str, tuple[str, frozenset[str]]] = {
    "storefront.webhookdelivery.replay_deliveries": ("Webhook deliveries: replay (dead letters included)", SUPPORT),
    "referrals.outboxevent.replay_events": ("Outbox events: replay failed/dead", SUPPORT),
    "referrals.friendbuydelivery.replay": ("Friendbuy deliveries: replay (dead letters included)", SUPPORT),
    "referrals.friendbuyconnection.check_friendbuy_connection": ("Friendbuy connections: check", SUPPORT),
    "referrals.customeridentity.erase_customers": ("Customer identities: erase personal data", OPERATORS_ONLY),
    "storefront.installedscript.recheck_scripts": ("Installed scripts: re-check with BigCommerce", OPERATORS_ONLY),
    "referrals.reward.approve_rewards": ("Rewards: approve", OPERATORS_ONLY),
    "referrals.reward.reject_rewards": ("Rewards: reject", OPERATORS_ONLY),
    "referrals.reward.reissue_rewards": ("Rewards: re-issue", OPERATORS_ONLY),
    "referrals.reward.revoke_rewards": ("Rewards: revoke", OPERATORS_ONLY),
    "referrals.storecreditentry.resolve_landed": ("Store credit entries: settle a held one as landed", OPERATORS_ONLY),
    "referrals.storecreditentry.resolve_not_landed": ("Store credit entries: settle a held one as not landed",
                                                      OPERATORS_ONLY),
    "django_celery_beat.periodictask.enable_tasks": ("Periodic tasks: enable", OPERATORS_ONLY),
    "django_celery_beat.periodictask.disable_tasks": ("Periodic tasks: disable", OPERATORS_ONLY),
    "django_celery_beat.periodictask.toggle_tasks": ("Periodic tasks: toggle", OPERATORS_ONLY),
    "django_celery_beat.periodictask.run_tasks": ("Periodic tasks: run now", OPERATORS_ONLY),
    "*.delete_selected": ("Any list: delete selected (where deleting is allowed at all)", OPERATORS_ONLY),
    "support:resend_event": ("Lookup: resend an outbox event", SUPPORT),
    "support:replay_webhook": ("Lookup: replay a BigCommerce webhook", SUPPORT),
    "support:replay_friendbuy": ("Lookup: replay a Friendbuy delivery", SUPPORT),
    "support:reissue_code": ("Lookup: re-issue a reward's code", SUPPORT),
    "support:revoke_code": ("Lookup: revoke a reward's code", SUPPORT),
    "support:revoke_coupon": ("Lookup: revoke a code", SUPPORT),
    "support:approve_reward": ("Lookup: approve a held reward", SUPPORT),
    "support:reject_reward": ("Lookup: reject a held reward", SUPPORT),
    "support:link_order": ("Lookup: link an order to a referral", SUPPORT),
    "page:fraud_assessment_decide": ("Fraud review queue: approve/reject", SUPPORT),
    "page:fraud_blocklistentry_import": ("Block list: import CSV", OPERATORS_ONLY),
    "page:auth_user_password_change": ("Users: set a user's password", OPERATORS_ONLY),
}
# Custom admin pages that only read: open to both roles.
READ_PAGES = ("page:support-lookup", "page:support-reports", "page:fraud_assessment_queue")


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


def roles_table() -> str:
    """WRITE_MATRIX as the README's Markdown table (role by write)."""
    roles = (OPERATOR, SUPPORT_GROUP, AUDITOR_GROUP)
    lines = [f"| Write | {' | '.join(roles)} |", f"|---|{'---|' * len(roles)}"]
    for label, allowed in WRITE_MATRIX.values():
        cells = ["yes", *("yes" if role in allowed else "no" for role in roles[1:])]
        lines.append(f"| {label} | {' | '.join(cells)} |")
    return "\n".join(lines)


def can_view_support(user) -> bool:
    return bool(user and user.is_active and user.is_staff and user.has_perm(LOOKUP_PERMISSION))


def can_run_actions(user) -> bool:
    return bool(user and user.is_active and user.is_staff and user.has_perm(ACTION_PERMISSION))
