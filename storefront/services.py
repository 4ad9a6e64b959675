"""Writes for the storefront app: the control-panel lifecycle of a store (the outbound call log is call_log).

Install (/auth), load, uninstall and remove-user all end here; views only translate HTTP. The claims
passed in have already been verified by storefront.jwt.
"""
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .bigcommerce import BigCommerceError, exchange_token
from .call_log import outbound_call_record
from .channels import channels_sync
from .http import HttpError
from .jwt import STORE_SUB
from .models import InstalledScript, Store, StoreUser, WebhookSubscription
from .queueing import task_enqueue_on_commit
from .scripts import scripts_ensure
from .webhooks.registration import webhooks_ensure

logger = logging.getLogger(__name__)

AUTH_CALLBACK_PATH = "/bigcommerce/auth"


class InstallFailed(Exception):
    """The install callback could not complete; nothing was written. `status` is 400 or 502."""

    def __init__(self, message: str, *, status: int):
        super().__init__(message)
        self.message = message
        self.status = status


class AccessRefused(Exception):
    """A verified control-panel user may not open the app: 401 store not installed, 403 user removed."""

    def __init__(self, message: str, *, status: int):
        super().__init__(message)
        self.message = message
        self.status = status


def auth_callback_url() -> str:
    """The redirect_uri of the token exchange: it must equal the registered Auth Callback URL exactly."""
    return settings.APP_URL.rstrip("/") + AUTH_CALLBACK_PATH


def _party(data: Any) -> tuple[int, str] | None:
    """(id, email) of a `user`/`owner` object of the token response or of a signed payload."""
    if not isinstance(data, dict):
        return None
    try:
        user_id = int(data["id"])
    except (KeyError, TypeError, ValueError):
        return None
    return user_id, str(data.get("email") or data.get("username") or "")


def _store_user_upsert(*, store: Store, bc_user_id: int, email: str, is_owner: bool) -> StoreUser:
    store_user, _ = StoreUser.objects.get_or_create(store=store, bc_user_id=bc_user_id)
    store_user.email = email or store_user.email
    # Installing (or being the owner) proves access now, whatever a past /remove-user said.
    store_user.removed_at = None
    if is_owner:
        store_user.is_owner = True
    store_user.save(update_fields=["email", "removed_at", "is_owner"])
    return store_user


def store_install(*, code: str, scope: str, context: str, account_uuid: str = "") -> StoreUser:
    """Exchange the install code and record the store as installed; return the installing user.

    Re-installing restores the same Store row (same public_id, its Friendbuy connection kept). The
    token is fetched before anything is written, so a refused exchange leaves the database as it was.
    """
    match = STORE_SUB.match(context or "")
    if not code or not scope or match is None:
        raise InstallFailed(
            "The install link is incomplete: code, scope and context=stores/{hash} are required.", status=400,
        )
    store_hash = match.group(1)
    try:
        data = exchange_token(code=code, scope=scope, context=context, redirect_uri=auth_callback_url(),
                              recorder=outbound_call_record)
    except BigCommerceError as exc:
        if exc.status is not None and 400 <= exc.status < 500:
            raise InstallFailed(
                "BigCommerce refused the install code (it may have expired or been used already). "
                "Please start the install again from the BigCommerce control panel.", status=400,
            ) from exc
        raise InstallFailed("BigCommerce could not be reached to finish the install. Please try again.",
                            status=502) from exc
    except HttpError as exc:
        raise InstallFailed("BigCommerce could not be reached to finish the install. Please try again.",
                            status=502) from exc

    access_token = data.get("access_token") if isinstance(data, dict) else None
    user = _party(data.get("user")) if isinstance(data, dict) else None
    if not access_token or user is None or data.get("context", context) != context:
        raise InstallFailed("BigCommerce's answer to the install was not understood; nothing was saved.",
                            status=502)
    # Older token responses carry no `owner`; then the installing user is the only owner we know of.
    owner = _party(data.get("owner")) or user

    with transaction.atomic():
        store, created = Store.objects.select_for_update().get_or_create(store_hash=store_hash)
        store.access_token = access_token
        store.scopes = str(data.get("scope") or scope)
        store.account_uuid = str(data.get("account_uuid") or account_uuid or "")
        store.status = Store.Status.INSTALLED
        store.installed_at = timezone.now()
        store.owner_bc_user_id, store.owner_email = owner
        store.save()
        # The owner can change between installs (store transfer): only one StoreUser is the owner.
        previous_owners = StoreUser.objects.filter(store=store, is_owner=True).exclude(bc_user_id=owner[0])
        previous_owners.update(is_owner=False)
        _store_user_upsert(store=store, bc_user_id=owner[0], email=owner[1], is_owner=True)
        installer = _store_user_upsert(store=store, bc_user_id=user[0], email=user[1],
                                       is_owner=user[0] == owner[0])
    # Webhooks and scripts need the committed token; the task registers them after the answer is sent.
    task_enqueue_on_commit("storefront.store_provision", store.pk)
    logger.info("Store %s %s by BigCommerce user %s.", store_hash, "installed" if created else "re-installed",
                user[0])
    return installer


def store_user_load(*, claims: dict) -> StoreUser:
    """The user opening the app from the control panel; provisions users new to the app (multi-user)."""
    store = Store.objects.filter(store_hash=claims["store_hash"]).first()
    if store is None or not store.is_installed:
        raise AccessRefused("This app is not installed on this store. Install it from the BigCommerce "
                            "control panel, then open it from there.", status=401)
    user = _party(claims.get("user"))
    if user is None:
        raise AccessRefused("The signed payload names no user.", status=401)
    owner = _party(claims.get("owner"))
    with transaction.atomic():
        store_user, created = StoreUser.objects.select_for_update().get_or_create(
            store=store, bc_user_id=user[0],
            defaults={"email": user[1], "is_owner": owner is not None and owner[0] == user[0]},
        )
        if store_user.removed_at is not None:
            raise AccessRefused("The store owner has removed your access to this app.", status=403)
        store_user.email = user[1] or store_user.email
        store_user.last_loaded_at = timezone.now()
        store_user.save(update_fields=["email", "last_loaded_at"])
    if created:
        logger.info("Store %s: provisioned BigCommerce user %s on first load.", store.store_hash, user[0])
    return store_user


def store_uninstall(*, claims: dict) -> Store | None:
    """Wipe the token and mark the store uninstalled; every session for it stops working at once.

    BigCommerce has already uninstalled the app when this arrives, so it is honoured whoever sent it.
    """
    with transaction.atomic():
        store = Store.objects.select_for_update().filter(store_hash=claims["store_hash"]).first()
        if store is None:
            return None
        store.access_token = ""
        store.status = Store.Status.UNINSTALLED
        store.uninstalled_at = timezone.now()
        # A re-install walks the setup steps again (they turn done at once for what the install restores).
        store.setup_completed_at = None
        store.save(update_fields=["access_token", "status", "uninstalled_at", "setup_completed_at", "updated_at"])
        # BigCommerce deletes an app's hooks on uninstall and its auto_uninstall scripts with them:
        # forget ours locally so a re-install registers fresh ones.
        InstalledScript.objects.filter(store=store).delete()
        WebhookSubscription.objects.filter(store=store).update(
            is_active=False, bc_hook_id=None, last_error="Removed by BigCommerce when the app was uninstalled.",
        )
    logger.info("Store %s uninstalled.", store.store_hash)
    return store


def store_setup_completed(*, store: Store) -> Store:
    """Record the first time the app's guided setup was complete (later calls change nothing): the app's
    home shows the dashboard from then on, and a step that breaks later is listed there as needing attention."""
    if store.setup_completed_at is None:
        now = timezone.now()
        Store.objects.filter(pk=store.pk, setup_completed_at__isnull=True).update(setup_completed_at=now)
        store.refresh_from_db(fields=["setup_completed_at"])
    return store


def store_user_remove(*, claims: dict) -> StoreUser | None:
    """Mark the user named in the payload as removed; they can no longer load the app."""
    user = _party(claims.get("user"))
    if user is None:
        return None
    store_user = StoreUser.objects.filter(store__store_hash=claims["store_hash"], bc_user_id=user[0]).first()
    if store_user is None:
        return None
    if store_user.removed_at is None:
        store_user.removed_at = timezone.now()
        store_user.save(update_fields=["removed_at"])
        logger.info("Store %s: BigCommerce user %s removed.", claims["store_hash"], user[0])
    return store_user


def store_provision(*, store: Store) -> dict[str, str]:
    """Register the store's webhooks, read its URL and storefront channels, and install its storefront
    scripts on each channel (after install, and on repair).

    Each part is independent: a failure is logged and reported, and the scheduled repair jobs
    (webhooks_repair_all, scripts_check_all, which reads the channels again) finish the job later.
    """
    def channels(*, store: Store) -> tuple[int, ...]:
        return channels_sync(store=store).channel_ids

    outcome = {}
    for name, ensure in (("webhooks", webhooks_ensure), ("channels", channels), ("scripts", scripts_ensure)):
        try:
            outcome[name] = f"{len(ensure(store=store))} in place"
        except HttpError as exc:
            logger.warning("Provisioning %s for store %s failed: %s", name, store.store_hash, exc)
            outcome[name] = f"failed: {exc}"
    return outcome
