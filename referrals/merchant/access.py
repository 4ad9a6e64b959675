"""Who may change what on the merchant's page: every write on the app's own pages checks `can_manage`.

BigCommerce tells us only who the store owner is (the load JWT's `owner`). The owner manages the app;
other control-panel users the owner let open the app see everything read-only (setup status, dashboard,
settings, reports) and their writes are refused with a 403, in the view and again in each service. The
support pages (/app/support/) are the exception: they need the support role the owner grants
(referrals.support.store_access, checked by referrals.merchant.support_gate).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from storefront.models import StoreUser

OWNER_ROLE = "Store owner"
READ_ONLY_ROLE = "Store user (view only)"
READ_ONLY_MESSAGE = ("Your role can view this page but not change it. Ask the store owner to make this change.")


class ReadOnlyUser(PermissionDenied):
    """The store user may look but not change anything."""


def can_manage(store_user: StoreUser | None) -> bool:
    """True for a store user allowed to change the app's settings for their store."""
    return bool(store_user and store_user.is_active and store_user.is_owner)


def store_user_role(store_user: StoreUser) -> str:
    return OWNER_ROLE if can_manage(store_user) else READ_ONLY_ROLE


def manage_check(store_user: StoreUser | None) -> None:
    """Raise ReadOnlyUser unless the user may change settings (called by every merchant-page write)."""
    if not can_manage(store_user):
        raise ReadOnlyUser(READ_ONLY_MESSAGE)
