"""Writes for the referrals app: connecting a store to Friendbuy and checking that connection.

Credentials are proven against Friendbuy's POST /v1/authorization (reference §2.2) before they are
saved, so a stored connection is one that worked at least once.
"""
import logging
import uuid

from django.db import transaction
from django.utils import timezone

from referrals.friendbuy.client import FriendbuyAuthError, FriendbuyError
from referrals.friendbuy.clients import friendbuy_for
from referrals.friendbuy.selectors import DEFAULT_CHANNEL_ID
from referrals.models import FriendbuyChannelConnection, FriendbuyConnection, FriendbuyCredentials
from storefront.models import Store, StorefrontChannel
from storefront.queueing import task_enqueue_on_commit

logger = logging.getLogger(__name__)


class FriendbuyConnectError(Exception):
    """The connection was not saved. `field` names the form field at fault (None: the whole form)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def merchant_id_normalized(value: str) -> str:
    """The merchant id as a canonical lower-case UUID; ValueError if it is not a UUID."""
    try:
        return str(uuid.UUID(str(value).strip()))
    except (ValueError, AttributeError) as exc:
        raise ValueError(
            "The Friendbuy merchant ID must be a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6 "
            "(Retailer App → Developer Center → Friendbuy Code)."
        ) from exc


def _failure_message(exc: FriendbuyError) -> str:
    if isinstance(exc, FriendbuyAuthError):
        return str(exc)
    if exc.status is None or exc.status >= 500:
        return f"Friendbuy could not be reached to check the credentials; nothing was saved. ({exc})"
    return f"Friendbuy did not accept the credentials check; nothing was saved. ({exc})"


def _checked_candidate(model: type[FriendbuyCredentials], *, store: Store, existing: FriendbuyCredentials | None,
                       merchant_id: str, api_key: str, api_secret: str, webhook_secret: str,
                       **key) -> FriendbuyCredentials:
    """An unsaved connection row with these credentials, proven against Friendbuy; FriendbuyConnectError if not.

    A blank key, secret or webhook secret keeps the one `existing` holds. The client caches the token it
    obtains on the unsaved instance, never in the database."""
    try:
        merchant_id = merchant_id_normalized(merchant_id)
    except ValueError as exc:
        raise FriendbuyConnectError(str(exc), field="merchant_id") from exc
    values = {"api_key": api_key, "api_secret": api_secret, "webhook_secret": webhook_secret}
    for name, value in values.items():
        values[name] = (value or "").strip() or (getattr(existing, name) if existing else "")
        if not values[name]:
            raise FriendbuyConnectError("This value is required.", field=name)
    candidate = model(store=store, merchant_id=merchant_id, **key, **values)
    try:
        friendbuy_for(candidate).check_credentials()
    except FriendbuyError as exc:
        logger.info("Friendbuy refused the credentials for store %s: %s", store.store_hash, exc)
        raise FriendbuyConnectError(_failure_message(exc)) from exc
    return candidate


def _saved_fields(candidate: FriendbuyCredentials) -> dict:
    return {
        "merchant_id": candidate.merchant_id, "api_key": candidate.api_key, "api_secret": candidate.api_secret,
        "webhook_secret": candidate.webhook_secret,
        "access_token": candidate.access_token or "", "token_expires_at": candidate.token_expires_at,
        "health": FriendbuyConnection.Health.HEALTHY, "last_checked_at": timezone.now(), "last_error": "",
    }


def friendbuy_connect(*, store: Store, merchant_id: str, api_key: str, api_secret: str,
                      webhook_secret: str) -> FriendbuyConnection:
    """Check the credentials with Friendbuy, then save them (encrypted) as the store's connection.

    A blank key, secret or webhook secret keeps the one already stored, so a merchant can change one
    value without retyping the others. Raises FriendbuyConnectError; nothing is saved in that case.
    """
    existing = FriendbuyConnection.objects.filter(store=store).first()
    candidate = _checked_candidate(FriendbuyConnection, store=store, existing=existing, merchant_id=merchant_id,
                                   api_key=api_key, api_secret=api_secret, webhook_secret=webhook_secret)
    merchant_changed = existing is None or existing.merchant_id != candidate.merchant_id
    with transaction.atomic():
        connection, created = FriendbuyConnection.objects.select_for_update().update_or_create(
            store=store, defaults=_saved_fields(candidate),
        )
        if merchant_changed:
            # The loader script carries the merchant id: re-run the installer once this is committed.
            task_enqueue_on_commit("storefront.scripts_sync", store.pk)
    logger.info("Store %s %s Friendbuy merchant %s.", store.store_hash,
                "connected to" if created else "updated its connection to", connection.merchant_id)
    return connection


def friendbuy_channel_connect(*, store: Store, channel_id: int, merchant_id: str, api_key: str, api_secret: str,
                              webhook_secret: str) -> FriendbuyChannelConnection:
    """Give one storefront channel its own Friendbuy merchant (credentials checked first, saved encrypted).

    Only for a storefront channel other than the default one, and only once the store itself is connected
    (its merchant stays the default of every other channel). Raises FriendbuyConnectError; nothing saved.
    """
    default = FriendbuyConnection.objects.filter(store=store).first()
    if default is None:
        raise FriendbuyConnectError("Connect the store's Friendbuy merchant first: it is the one every "
                                    "storefront uses unless you give it its own.")
    channel = StorefrontChannel.objects.filter(store=store, channel_id=channel_id, type="storefront").first()
    if channel is None or channel.is_default or channel_id == DEFAULT_CHANNEL_ID:
        raise FriendbuyConnectError("Choose one of your other storefronts: the default storefront always uses "
                                    "the store's Friendbuy merchant.", field="channel_id")
    existing = FriendbuyChannelConnection.objects.filter(store=store, channel_id=channel_id).first()
    candidate = _checked_candidate(FriendbuyChannelConnection, store=store, existing=existing,
                                   merchant_id=merchant_id, api_key=api_key, api_secret=api_secret,
                                   webhook_secret=webhook_secret, channel_id=channel_id)
    if candidate.merchant_id == default.merchant_id:
        raise FriendbuyConnectError("This is the store's Friendbuy merchant already; every storefront uses it "
                                    "without a connection of its own.", field="merchant_id")
    with transaction.atomic():
        connection, _ = FriendbuyChannelConnection.objects.select_for_update().update_or_create(
            store=store, channel_id=channel_id, defaults=_saved_fields(candidate),
        )
        if existing is None or existing.merchant_id != connection.merchant_id:
            # That channel's scripts carry the merchant id.
            task_enqueue_on_commit("storefront.scripts_sync", store.pk)
    logger.info("Store %s channel %s uses Friendbuy merchant %s.", store.store_hash, channel_id,
                connection.merchant_id)
    return connection


def friendbuy_channel_disconnect(*, store: Store, channel_id: int) -> bool:
    """The channel goes back to the store's Friendbuy merchant: its scripts, and its events not sent yet."""
    with transaction.atomic():
        deleted, _ = FriendbuyChannelConnection.objects.filter(store=store, channel_id=channel_id).delete()
    if deleted:
        task_enqueue_on_commit("storefront.scripts_sync", store.pk)
        logger.info("Store %s channel %s uses the store's Friendbuy merchant again.", store.store_hash, channel_id)
    return bool(deleted)


def friendbuy_disconnect(*, store: Store) -> bool:
    """Forget the store's Friendbuy credentials and take the Friendbuy scripts off its storefront.

    Orders, rewards and their history stay: reconnecting picks up where the store left off.
    """
    with transaction.atomic():
        deleted, _ = FriendbuyConnection.objects.filter(store=store).delete()
        # A channel's own merchant stands beside the store's, never alone.
        FriendbuyChannelConnection.objects.filter(store=store).delete()
    if deleted:
        # desired_scripts() wants nothing without a connection: the installer removes ours.
        task_enqueue_on_commit("storefront.scripts_sync", store.pk)
        logger.info("Store %s disconnected from Friendbuy.", store.store_hash)
    return bool(deleted)


def friendbuy_check_health(*, connection: FriendbuyCredentials) -> FriendbuyCredentials:
    """Ask Friendbuy for a fresh token with the stored credentials and record the outcome; never raises
    for a Friendbuy failure (the failure is the health)."""
    try:
        friendbuy_for(connection).check_credentials()
    except FriendbuyError as exc:
        connection.health = FriendbuyConnection.Health.FAILING
        connection.last_error = str(exc)
    else:
        connection.health = FriendbuyConnection.Health.HEALTHY
        connection.last_error = ""
    connection.last_checked_at = timezone.now()
    connection.save(update_fields=["health", "last_error", "last_checked_at", "updated_at"])
    logger.info("Friendbuy connection of store %s checked: %s.", connection.store.store_hash,
                connection.health)
    return connection
