"""Referral attribution: storefront captures, order links, and which referral an order belongs to."""
