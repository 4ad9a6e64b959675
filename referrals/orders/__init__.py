"""BigCommerce orders and customers: re-fetch and snapshot, the purchase event, webhook handlers, backfill, reconciliation, identities and privacy erasure."""
