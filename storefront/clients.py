"""Builds API clients for a tenant: the one place that hands a store's token to an integration client."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from .bigcommerce import BigCommerceClient
from .call_log import outbound_call_record
from .http import Recorder

if TYPE_CHECKING:
    from .models import Store


def store_recorder(store_id: int | None) -> Recorder:
    """The OutboundCall recorder bound to a known store, so no attempt looks the store up by hash."""
    return partial(outbound_call_record, store_id=store_id) if store_id else outbound_call_record


def bigcommerce_for(store: Store) -> BigCommerceClient:
    """A client for this store's BigCommerce API, logging every attempt as an OutboundCall."""
    return BigCommerceClient(
        store_hash=store.store_hash,
        access_token=store.access_token,
        recorder=store_recorder(store.pk),
        secrets=(store.webhook_secret,),
    )
