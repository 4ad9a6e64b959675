"""The store a webhook URL names: the inbox's one read, remembered per process for a few seconds.

Every BigCommerce webhook looks its store up by the opaque public id in its URL, and building and
running that query cost about as much as the rest of the acknowledgement. The answer rarely changes,
so each process remembers installed stores for WEBHOOK_STORE_SECONDS. What keeps that safe:
- only installed stores are remembered: an unknown id or an uninstalled store is read from the
  database on every call, so a re-install is seen at once and junk ids cannot fill the memory;
- a secret that does not match the remembered one is checked again against the database before any
  401 (`fresh=True`), so a rotated secret works at once;
- saving or deleting a Store forgets it in this process at once (signals, connected in apps.py); other
  processes see an uninstall or a rotation within WEBHOOK_STORE_SECONDS (until then the old secret is
  still accepted there), and the processing task refuses a delivery whose store is no longer
  installed when it runs (processing.delivery_process).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from time import monotonic

from ..models import Store

WEBHOOK_STORE_SECONDS = 5.0
WEBHOOK_STORE_MAX = 10_000
_remembered: dict[str, tuple[float, WebhookStore]] = {}


@dataclass(frozen=True)
class WebhookStore:
    """What the inbox needs of a store: its id, hash, install state and webhook secret."""

    id: int
    public_id: str
    store_hash: str
    status: str
    webhook_secret: str = field(repr=False)

    @property
    def installed(self) -> bool:
        return self.status == Store.Status.INSTALLED


def webhook_store_get(*, public_id: str, fresh: bool = False) -> WebhookStore | None:
    """The store whose webhook URL carries `public_id`, or None; `fresh` skips the memory."""
    now = monotonic()
    if not fresh:
        hit = _remembered.get(public_id)
        if hit is not None and hit[0] > now:
            return hit[1]
    # order_by(): the lookup is by a unique column, Store's default ordering would be a wasted sort.
    row = (
        Store.objects.filter(public_id=public_id)
        .order_by()
        .values_list("id", "store_hash", "status", "webhook_secret")
        .first()
    )
    if row is None:
        _remembered.pop(public_id, None)
        return None
    store = WebhookStore(id=row[0], public_id=public_id, store_hash=row[1], status=row[2], webhook_secret=row[3] or "")
    if not store.installed:
        _remembered.pop(public_id, None)
        return store
    if len(_remembered) >= WEBHOOK_STORE_MAX:
        _remembered.clear()
    _remembered[public_id] = (now + WEBHOOK_STORE_SECONDS, store)
    return store


def webhook_stores_forget(*, store_id: int | None = None) -> None:
    """Forget one store (by id, whatever public id it was remembered under) or, with no id, all."""
    if store_id is None:
        _remembered.clear()
        return
    for public_id, (_, store) in list(_remembered.items()):
        if store.id == store_id:
            _remembered.pop(public_id, None)


def forget_saved_store(sender, instance: Store, **kwargs) -> None:
    """post_save/post_delete receiver: a store changed in this process is read again on its next webhook."""
    if instance.pk is not None:
        webhook_stores_forget(store_id=instance.pk)
