"""Build a FriendbuyClient for a store's connection, with the token cached (encrypted) on the connection row.

The client itself knows no models; this module binds it to FriendbuyConnection so every process
and worker reuses one bearer token per connection instead of re-authorizing per call.
"""
from __future__ import annotations

from datetime import datetime

from referrals.friendbuy.client import FriendbuyClient
from referrals.models import FriendbuyCredentials
from storefront.clients import store_recorder


class ConnectionTokenCache:
    """TokenCache on a connection row's access_token (encrypted) and token_expires_at (FriendbuyConnection,
    or a channel's FriendbuyChannelConnection).

    A saved connection is read and written in the database on every use, so all processes share one
    token. An unsaved connection (credentials being checked before they are stored) keeps the token
    on the instance only, and the caller decides whether to save it.
    """

    def __init__(self, connection: FriendbuyCredentials, *, fresh: bool = False):
        self._connection = connection
        # A connection read from the database a moment ago needs no second read for its first token.
        self._fresh = fresh

    def _rows(self):
        return type(self._connection)._default_manager.filter(pk=self._connection.pk)

    def get(self) -> tuple[str, datetime] | None:
        source = self._connection
        if source.pk is not None and not self._fresh:
            # Read the row each time: another process may have refreshed or cleared the token.
            source = self._rows().only("access_token", "token_expires_at").first()
        self._fresh = False
        if source is None or not source.access_token or source.token_expires_at is None:
            return None
        return source.access_token, source.token_expires_at

    def set(self, token: str, expires_at: datetime) -> None:
        if self._connection.pk is not None:
            self._rows().update(access_token=token, token_expires_at=expires_at)
        self._connection.access_token, self._connection.token_expires_at = token, expires_at

    def clear(self) -> None:
        if self._connection.pk is not None:
            self._rows().update(access_token="", token_expires_at=None)
        self._connection.access_token, self._connection.token_expires_at = "", None

    def __repr__(self) -> str:
        return f"ConnectionTokenCache(connection={self._connection.pk})"


def friendbuy_for(connection: FriendbuyCredentials, *, fresh: bool = False) -> FriendbuyClient:
    """The Merchant API client for one Friendbuy connection (a store's or a channel's); every attempt lands in
    OutboundCall.

    `fresh`: the connection row was just read, so its cached token is current for the first call.
    """
    return FriendbuyClient(
        api_key=connection.api_key,
        api_secret=connection.api_secret,
        store_hash=connection.store.store_hash,
        recorder=store_recorder(connection.store_id),
        token_cache=ConnectionTokenCache(connection, fresh=fresh),
        secrets=(connection.webhook_secret,),
    )
