"""The storefront widget API under /api/storefront/v1/ (shopper identified by BigCommerce's current-customer JWT)."""
