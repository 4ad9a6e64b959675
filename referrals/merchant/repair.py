"""The setup page's "repair" buttons: re-run the storefront scripts installer or the webhook registration for
one store, for its owner only (manage_check), each attempt audited (who, what, how it went).

Both installers are idempotent and record their per-script / per-scope outcome on their own rows, which the
setup page reads back (referrals.merchant.setup); this module only runs them and says what happened.
"""

from __future__ import annotations

import contextlib

from referrals.merchant.access import ReadOnlyUser, manage_check
from referrals.models import StaffAuditLog
from storefront.channels import channels_sync
from storefront.http import HttpError
from storefront.models import InstalledScript, Store, StoreUser
from storefront.scripts import scripts_ensure
from storefront.webhooks.registration import webhooks_ensure

REPAIR_SCRIPTS = "scripts"
REPAIR_WEBHOOKS = "webhooks"
REPAIRS = (REPAIR_SCRIPTS, REPAIR_WEBHOOKS)


class RepairRefused(ValueError):
    """The repair can't run for this store yet; the message says why, in plain words."""


def _audit(*, store: Store, store_user: StoreUser | None, action: str, result: str, detail: str) -> None:
    StaffAuditLog.objects.create(
        user=None, username=f"store user {store_user.email or store_user.bc_user_id}"[:150] if store_user else "",
        store=store, action=action, target=f"store:{store.store_hash}"[:200],
        reason="Repair button on the app's setup page", result=result, detail=detail[:4000],
    )


def _scripts(store: Store) -> tuple[bool, str]:
    # The channels known from the last sync still get their scripts when BigCommerce can't be read now.
    with contextlib.suppress(HttpError):
        channels_sync(store=store)
    rows = scripts_ensure(store=store)
    if not rows:
        raise RepairRefused("Connect Friendbuy first: the storefront scripts carry your Friendbuy merchant ID.")
    failed = [row for row in rows if row.status != InstalledScript.Status.INSTALLED]
    if failed:
        reasons = "; ".join(f"{row.name} on channel {row.channel_id}: {row.last_error}" for row in failed)
        return False, f"{len(rows) - len(failed)} of {len(rows)} scripts are installed. Still failing: {reasons}"
    return True, f"All {len(rows)} storefront scripts are installed."


def _webhooks(store: Store) -> tuple[bool, str]:
    rows = webhooks_ensure(store=store)
    failed = [row for row in rows if not row.is_active]
    if failed:
        reasons = "; ".join(f"{row.scope}: {row.last_error or 'inactive'}" for row in failed)
        return False, f"{len(rows) - len(failed)} of {len(rows)} webhooks are active. Still failing: {reasons}"
    return True, f"All {len(rows)} webhooks are active."


def setup_repair(*, store: Store, store_user: StoreUser | None, what: str) -> tuple[bool, str]:
    """Run one repair for the store; returns (everything fine, what happened in plain words).

    Raises ReadOnlyUser (audited as refused) for a user who may not change the store's settings."""
    action = f"merchant_repair_{what}"
    if what not in REPAIRS:
        raise RepairRefused(f"Unknown repair {what!r}.")
    try:
        manage_check(store_user)
    except ReadOnlyUser:
        _audit(store=store, store_user=store_user, action=action, result=StaffAuditLog.Result.REFUSED,
               detail="The user's role may not change settings.")
        raise
    if not store.is_installed:
        raise RepairRefused("The app is not installed on this store any more: reinstall it from BigCommerce.")
    try:
        ok, detail = _scripts(store) if what == REPAIR_SCRIPTS else _webhooks(store)
    except RepairRefused as exc:
        _audit(store=store, store_user=store_user, action=action, result=StaffAuditLog.Result.FAILED, detail=str(exc))
        raise
    _audit(store=store, store_user=store_user, action=action,
           result=StaffAuditLog.Result.OK if ok else StaffAuditLog.Result.FAILED, detail=detail)
    return ok, detail
