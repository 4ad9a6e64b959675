"""The attribution link order_sync found for the order it is syncing, kept for that sync's subscribers.

order_sync looks up the order's believed link once (attribution needs it before the snapshot's
transaction); the fraud assessment that runs as that transaction commits asks the same question of the
same order, and gets this answer instead of a second query. Outside a sync, or for another order or a
different cart/customer, there is no answer here and callers query as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from referrals.models import OrderAttributionLink

_Key = tuple[int, int, str, int]

_link_in_sync: ContextVar[tuple[_Key, OrderAttributionLink | None] | None] = ContextVar(
    "order_sync_attribution_link", default=None
)


def _key(*, store_id: int, order_id: int, cart_id: str | None, customer_id: int | None) -> _Key:
    return (store_id, order_id, str(cart_id or ""), int(customer_id or 0))


@contextmanager
def link_kept(
    *, store_id: int, order_id: int, cart_id: str | None, customer_id: int | None, link: OrderAttributionLink | None
) -> Iterator[None]:
    """Keep `link` (None: the order has none) as the answer for this order while the block runs."""
    token = _link_in_sync.set(
        (_key(store_id=store_id, order_id=order_id, cart_id=cart_id, customer_id=customer_id), link)
    )
    try:
        yield
    finally:
        _link_in_sync.reset(token)


def link_just_found(
    *, store_id: int, order_id: int, cart_id: str | None, customer_id: int | None
) -> tuple[bool, OrderAttributionLink | None]:
    """(known, link): whether the running sync already looked up this order's link, and what it found."""
    current = _link_in_sync.get()
    if current is None or current[0] != _key(
        store_id=store_id, order_id=order_id, cart_id=cart_id, customer_id=customer_id
    ):
        return False, None
    return True, current[1]
