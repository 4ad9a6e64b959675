"""Builds API clients for a tenant: the one place that hands a store's token to an integration client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .bigcommerce import BigCommerceClient
from .services import outbound_call_record

if TYPE_CHECKING:
    from .models import Store


def bigcommerce_for(store: Store) -> BigCommerceClient:
    """A client for this store's BigCommerce API, logging every attempt as an OutboundCall."""
    return BigCommerceClient(
        store_hash=store.store_hash,
        access_token=store.access_token,
        recorder=outbound_call_record,
    )
