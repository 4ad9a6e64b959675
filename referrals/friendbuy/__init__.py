"""Friendbuy's Merchant API: the HTTP client, a client bound to a store's connection (token cache), webhook signatures, and connecting a store."""
