"""The merchant's page inside the BigCommerce control panel: Friendbuy connection, who may change what."""
